"""Every benchmark in sequence (``make bench``): each prints its figures and its ratio to a same-run baseline.

    python bench/run_all.py [--quick]

``--quick`` runs the pipeline benchmark once per worker count instead of three times.
"""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = [
    "extract.py",
    "chapters.py",
    "pipeline.py",
    "s3_io.py",
    "cache.py",
    "ratelimit.py",
    "coldstart.py",
    "memory.py",
    "prompt.py",
    "ocr.py",
]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    for script in SCRIPTS:
        print(f"\n# bench/{script}", flush=True)
        args = ["--repeats", "1"] if quick and script == "pipeline.py" else []
        if subprocess.run([sys.executable, str(BENCH / script), *args], check=False).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
