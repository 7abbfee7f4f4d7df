"""The runbook's entry point: ``python scripts/run_pipeline.py [--input DIR] [--config DIR] [--debug]
[--worker-id ID]``.

A thin wrapper over ``doc-enhancer run``; results go to ``outputs/`` and the exit code is the CLI's.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"


def _cli() -> tuple[Any, Any]:
    """The CLI app and logger; outside the project's venv, re-run with the venv's Python when there is one,
    else say how to make one (instead of a ModuleNotFoundError)."""
    try:
        from enhancer.cli.app import app
        from enhancer.observability import logger
    except ImportError as exc:
        if VENV_PYTHON.is_file() and Path(sys.executable).resolve() != VENV_PYTHON.resolve():
            print(
                f"note: {sys.executable} lacks the project's packages; running with {VENV_PYTHON}",
                file=sys.stderr,
            )
            os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])  # noqa: S606
        sys.exit(
            f"error: the project is not installed for {sys.executable} ({exc.name or exc} is missing): run "
            "`make install` in the repository, then `.venv/bin/python scripts/run_pipeline.py …`"
        )
    return app, logger


def main(argv: list[str] | None = None) -> None:
    app, logger = _cli()
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
