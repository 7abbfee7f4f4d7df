"""Rate limit: requests per window achieved through the shared limiters against the configured limit.

    python bench/ratelimit.py [--limit 20] [--window-s 5] [--windows 3] [--threads 8]

Several threads loop ``limiter.acquire("openai")`` → one real OpenAI SDK call to the fake server (50 ms
latency), far faster than the limit allows, so the limiter alone decides the pace. Both limiters run: the
DynamoDB fixed window the enrich Lambdas share (against the embedded moto) and the in-process sliding log.
The window is shortened from 60 s to ``--window-s`` so a run takes seconds; the limit scales with it
(20 per 5 s = 240/min). Counted over whole windows after the first: achieved / limit (target ≥ 90 %),
429s returned by the fake server (it enforces no limit itself, so this is 0 by construction), and the
most requests admitted in any sliding window (what a provider with a sliding window would have seen:
above the limit means it would have answered 429).
"""

import argparse
import os
import threading
import time
from collections.abc import Callable

from common import machine

from enhancer.fakellm.server import FakeLlmServer, FaultPlan
from enhancer.providers.ratelimit import DynamoDbRateLimiter, LocalRateLimiter, RateLimiter


def drive(
    limiter: RateLimiter, base_url: str, threads: int, until: float, clock: Callable[[], float]
) -> list[float]:
    from openai import OpenAI

    client = OpenAI(api_key="fake", base_url=base_url, max_retries=0)
    admitted: list[float] = []
    lock = threading.Lock()

    def loop() -> None:
        while clock() < until:
            limiter.acquire("openai")
            now = clock()
            if now >= until:
                return
            with lock:
                admitted.append(now)
            client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "ping"}])

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return admitted


def max_in_sliding_window(times: list[float], window_s: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def dynamodb_limiter(limit: int, window_s: float) -> tuple[DynamoDbRateLimiter, Callable[[], None]]:
    import logging

    import boto3

    from enhancer.local.emulator import EmbeddedAws
    from enhancer.observability import logger

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    logger.setLevel("ERROR")  # "admitted after waiting" on every window

    aws = EmbeddedAws().start()
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION="us-east-1",
    )
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint_url)
    client.create_table(
        TableName="ratelimit",
        KeySchema=[{"AttributeName": "bucket_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "bucket_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return DynamoDbRateLimiter("ratelimit", limit, window_s, client=client), aws.stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--window-s", type=float, default=5.0)
    parser.add_argument("--windows", type=int, default=3, help="whole windows measured after a warm-up one")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    per_minute = args.limit * 60 / args.window_s
    print(machine())
    print(
        f"\n## rate limit: {args.limit} per {args.window_s:g} s (= {per_minute:.0f}/min), "
        f"{args.threads} threads, "
        f"{args.windows} windows measured"
    )
    print(f"{'limiter':22} {'achieved/min':>13} {'x limit':>8} {'429s':>5} {'max in sliding window':>22}")
    with FakeLlmServer(plan=FaultPlan(latency_ms=50)) as llm:
        dynamo, stop_aws = dynamodb_limiter(args.limit, args.window_s)
        try:
            for name, limiter in (
                ("dynamodb fixed window", dynamo),
                ("in-process sliding", LocalRateLimiter(args.limit, args.window_s)),
            ):
                before = llm.stats()["by_action"].get("429", 0)
                # Start on a window boundary (DynamoDB windows align to the epoch); skip the first.
                now = time.time()
                first = (now // args.window_s + 1) * args.window_s
                time.sleep(first - now)
                until = first + (args.windows + 1) * args.window_s
                admitted = drive(limiter, llm.openai_base_url, args.threads, until, time.time)
                measured = [t for t in admitted if t >= first + args.window_s]
                achieved = len(measured) / args.windows * 60 / args.window_s
                throttled = llm.stats()["by_action"].get("429", 0) - before
                sliding = max_in_sliding_window(admitted, args.window_s)
                print(
                    f"{name:22} {achieved:13.0f} {achieved / per_minute:8.2f} {throttled:5d} "
                    f"{sliding:16d} / {args.limit}"
                )
        finally:
            stop_aws()


if __name__ == "__main__":
    main()
