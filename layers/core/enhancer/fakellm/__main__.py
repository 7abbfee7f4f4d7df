"""``python -m enhancer.fakellm --port 8765 --latency-ms 200 --error-rate 0.05``: run it standalone."""

import argparse
import contextlib
import signal
import threading

from enhancer.fakellm.server import FakeLlmServer, FaultPlan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m enhancer.fakellm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with 500")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="share answered with 429")
    parser.add_argument("--timeout-rate", type=float, default=0.0, help="share that hang past the timeout")
    parser.add_argument(
        "--malformed-rate", type=float, default=0.0, help="share with broken or off-schema JSON"
    )
    parser.add_argument("--retry-after", type=float, default=1.0, help="seconds, sent with every 429")
    parser.add_argument("--timeout-s", type=float, default=35.0, help="how long a hanging request hangs")
    parser.add_argument("--rate-limit", type=int, default=0, help="requests in any sliding window; 0 = none")
    parser.add_argument("--rate-window-s", type=float, default=60.0, help="the sliding window's length")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    plan = FaultPlan(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        throttle_rate=args.throttle_rate,
        timeout_rate=args.timeout_rate,
        malformed_rate=args.malformed_rate,
        retry_after_s=args.retry_after,
        timeout_s=args.timeout_s,
        rate_limit=args.rate_limit,
        rate_window_s=args.rate_window_s,
        seed=args.seed,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeLlmServer(args.host, args.port, plan) as server:
        print(f"fake LLM listening on {server.url}  (stats: {server.url}/_fake/stats)")
        print(f"  export OPENAI_BASE_URL={server.openai_base_url} OPENAI_API_KEY=fake")
        print(f"  export ANTHROPIC_BASE_URL={server.anthropic_base_url} ANTHROPIC_API_KEY=fake")
        print(f"  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={server.bedrock_endpoint_url}")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
