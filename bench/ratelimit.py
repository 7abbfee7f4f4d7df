"""Rate limit: what the shared limiters let through, seen by a fake provider that enforces a sliding window.

    python bench/ratelimit.py [--limit 20] [--window-s 10] [--windows 3] [--threads 8] [--headroom 0.03]

Several threads loop ``limiter.acquire("openai")`` → one real OpenAI SDK call to the fake server (50 ms
latency), far faster than the limit allows, so the limiter alone decides the pace. The fake server enforces
the same limit as a sliding window (``FaultPlan.rate_limit``) and answers 429 beyond it, as a provider
does. The window is shortened from 60 s to ``--window-s`` so a run takes seconds (20 per 10 s = 120/min);
the limiters' slack for jitter is not shortened as much (``--headroom``). Three limiters run:

- ``dynamodb gcra``: the limiter the enrich Lambdas share, one limiter and one DynamoDB client per thread
  (like separate Lambdas), against the embedded moto, whose writes the emulation serialises as DynamoDB
  does (moto alone does not apply two writes to one item one at a time);
- ``in-process gcra``: the limiter of a laptop run, shared by the threads;
- ``fixed window``: the baseline, a counter per aligned window (the previous shared limiter), in-process.

Reported: achieved rate over the windows after the first / the limit (the GCRA limiters keep the
headroom free, so 1 - headroom is what they aim at), 429s from the fake server, the most requests the
limiter admitted in any sliding window of the limit's length (above the limit is what a sliding-window
provider rejects) and, for DynamoDB, conditional writes per request.
"""

import argparse
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from common import machine

from enhancer.providers.ratelimit import DynamoDbRateLimiter, LocalRateLimiter, RateLimiter


class FixedWindowLimiter:
    """The baseline: at most ``limit`` per aligned window, waiting for the next window when full."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}

    def acquire(self, key: str) -> None:
        while True:
            with self._lock:
                now = time.time()
                window = int(now // self.window_s)
                if self._counts.get(window, 0) < self.limit:
                    self._counts[window] = self._counts.get(window, 0) + 1
                    return
            time.sleep((window + 1) * self.window_s - now)


def drive(
    limiters: Callable[[], RateLimiter], base_url: str, threads: int, until: float
) -> tuple[list[float], int]:
    """(admission times, 429s the client received)."""
    from openai import OpenAI, RateLimitError

    admitted: list[float] = []
    throttled = [0]
    lock = threading.Lock()

    def loop() -> None:
        limiter = limiters()
        client = OpenAI(api_key="fake", base_url=base_url, max_retries=0)
        while time.time() < until:
            limiter.acquire("openai")
            now = time.time()
            if now >= until:
                return
            with lock:
                admitted.append(now)
            try:
                client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "ping"}])
            except RateLimitError:
                with lock:
                    throttled[0] += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return admitted, throttled[0]


def max_in_sliding_window(times: list[float], window_s: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


@contextmanager
def fake_provider(limit: int, window_s: float) -> Iterator[str]:
    """The fake LLM in its own process, so it stamps arrivals without waiting for this one's threads; yields
    its OpenAI base URL."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [
        "--port",
        str(port),
        "--latency-ms",
        "50",
        "--rate-limit",
        str(limit),
        "--rate-window-s",
        str(window_s),
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "enhancer.fakellm", *args], stdout=subprocess.DEVNULL, env=os.environ.copy()
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/stats", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def embedded_dynamodb() -> Iterator[tuple[str, Callable[[], Any]]]:
    """(table, client factory) on the embedded moto, with DynamoDB's one-at-a-time conditional writes."""
    import logging

    import boto3

    from enhancer.local.emulator import EmbeddedAws
    from enhancer.local.session import FAKE_CREDENTIALS
    from enhancer.observability import logger

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    logger.setLevel("ERROR")  # a late wake-up's warning would break the table; the rate shows its cost
    os.environ.update(FAKE_CREDENTIALS)
    with EmbeddedAws() as aws:

        def client() -> Any:
            return boto3.client("dynamodb", endpoint_url=aws.endpoint_url)

        client().create_table(
            TableName="ratelimit",
            KeySchema=[{"AttributeName": "bucket_key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "bucket_key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield "ratelimit", client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--windows", type=int, default=3, help="whole windows measured after the first one")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--headroom",
        type=float,
        default=0.03,
        help="the limiters' slack, a share of the window (production: 1 %% of 60 s = 0.6 s; 3 %% of 10 s "
        "keeps half that, as jitter does not shrink with the window)",
    )
    args = parser.parse_args()
    limit, window_s = args.limit, args.window_s
    per_minute = limit * 60 / window_s
    print(machine())
    print(
        f"\n## rate limit: {limit} per {window_s:g} s (= {per_minute:.0f}/min), {args.threads} threads, "
        f"{args.windows} windows measured; the fake provider enforces it as a sliding window"
    )
    print(
        f"{'limiter':17} {'achieved/min':>13} {'x limit':>8} {'429s':>5} {'max in sliding window':>22} "
        f"{'writes/request':>15}"
    )
    with embedded_dynamodb() as (table, client):
        dynamo: list[DynamoDbRateLimiter] = []

        def per_thread_dynamo() -> RateLimiter:
            limiter = DynamoDbRateLimiter(
                table, limit, window_s, client=client(), headroom=args.headroom, max_wait_s=None
            )
            dynamo.append(limiter)
            return limiter

        local = LocalRateLimiter(limit, window_s, headroom=args.headroom)
        fixed = FixedWindowLimiter(limit, window_s)
        for name, limiters in (
            ("dynamodb gcra", per_thread_dynamo),
            ("in-process gcra", lambda: local),
            ("fixed window", lambda: fixed),
        ):
            # Start half a window before an aligned boundary (the fixed window's worst case is the boundary);
            # the first window is not counted in the rate.
            with fake_provider(limit, window_s) as base_url:
                now = time.time()
                first = (now // window_s + 1) * window_s - window_s / 2
                first += window_s if first < now else 0
                time.sleep(first - now)
                until = first + (args.windows + 1) * window_s
                admitted, throttled = drive(limiters, base_url, args.threads, until)
            measured = [t for t in admitted if t >= first + window_s]
            achieved = len(measured) / args.windows * 60 / window_s
            sliding = max_in_sliding_window(admitted, window_s)
            writes = f"{sum(d.writes for d in dynamo) / len(admitted):.2f}" if dynamo else "-"
            dynamo.clear()
            print(
                f"{name:17} {achieved:13.0f} {achieved / per_minute:8.2f} {throttled:5d} "
                f"{sliding:16d} / {limit:<3d} {writes:>15}"
            )


if __name__ == "__main__":
    main()
