"""The runbook's entry point: ``python scripts/run_pipeline.py [--input DIR] [--config DIR] [--debug]
[--worker-id ID]``.

A thin wrapper over ``doc-enhancer run``; results go to ``outputs/`` and the exit code is the CLI's.
"""

import argparse
import sys

from enhancer.cli.app import app
from enhancer.observability import logger


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the pipeline locally (doc-enhancer run).")
    parser.add_argument("--input", default="samples", help="folder of PDFs (default: samples)")
    parser.add_argument("--config", default=None, help="folder with the four JSON configs")
    parser.add_argument("--out", default="outputs", help="folder for the results (default: outputs)")
    parser.add_argument("--debug", action="store_true", help="handler logs at DEBUG on stderr")
    parser.add_argument(
        "--worker-id", default=None, help="tag every log line with worker_id (many workers, one log stream)"
    )
    parser.add_argument("--workers", type=int, default=None, help="concurrent enrich workers (MAX_WORKERS)")
    parser.add_argument("--endpoint-url", default=None, help="an AWS endpoint instead of the embedded one")
    args = parser.parse_args(argv)
    if args.worker_id:
        logger.append_keys(worker_id=args.worker_id)
    command = ["run", args.input, "--out", args.out]
    if args.config:
        command += ["--config-dir", args.config]
    if args.debug:
        command.append("--debug")
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.endpoint_url:
        command += ["--endpoint-url", args.endpoint_url]
    app(command, prog_name="doc-enhancer")


if __name__ == "__main__":
    sys.exit(main())
