"""Cold start: import time of each Lambda handler in a fresh interpreter, and the size of each layer.

    python bench/coldstart.py [--repeats 5]

Two measurements, each a median of ``--repeats`` fresh processes:

* here: each handler file loaded the way the local runtime (and Lambda) does, with this checkout's core
  layer on the path and the venv's packages, against the floor: boto3 + botocore's client, Powertools'
  logger and batch utility and pydantic's ``BaseModel`` imported alone in the same run, which every
  handler needs, imported with the garbage collector paused as the handlers import
  (``enhancer.startup.init_done``). Our modules have their bytecode, as in the core layer: one load of
  each handler that is not timed writes it. Tracing is off, as outside Lambda (``enhancer.observability``:
  no X-Ray import then). The three heaviest imports of the slowest handler come from ``python -X importtime``.
* as on Lambda: the runtime's Python (``infra.layers.lambda_python``) importing each handler from the
  layers ``infra.layers`` builds for this machine's CPU, with nothing written back (Lambda's ``/opt`` is
  read-only), once with the layers' bytecode and once from source only, as the layers were built before
  they carried bytecode. Skipped when no such interpreter is found.

Layer sizes are unzipped, for the architecture that deploys (arm64).
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

from common import REPO, machine, median

HANDLERS = ("extract", "extract_pages", "enrich", "validate", "api", "sweeper")
TARGET_MS = 300
# What every handler needs whatever we do: boto3 with a client's machinery, Powertools' logger and batch
# utility, pydantic. Measured the same way (the collector paused), in the same run, so the rest is what our
# own code adds.
FLOOR = (
    "import gc, importlib, sys, time; gc.disable(); t = time.perf_counter(); "
    "[importlib.import_module(m) for m in sys.argv[1].split(',')]; "
    "print((time.perf_counter() - t) * 1000)"
)
FLOOR_MODULES = (
    "boto3,botocore.client,aws_lambda_powertools.logging,aws_lambda_powertools.utilities.batch,pydantic.main"
)
LOAD = (
    "import importlib.util, sys, time; t = time.perf_counter(); "
    "spec = importlib.util.spec_from_file_location('handler', sys.argv[1]); "
    "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
    "print((time.perf_counter() - t) * 1000)"
)
# Bytecode written: the core layer carries its .pyc files, so a shell with PYTHONDONTWRITEBYTECODE set
# would otherwise time the compiling of our own modules on every run.
ENV = {
    **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(REPO / "layers" / "core"),
    "AWS_DEFAULT_REGION": "us-east-1",
}


def handler_file(name: str) -> str:
    return str(REPO / "functions" / name / "handler.py")


def process_ms(*args: str, python: str = sys.executable, env: dict[str, str] = ENV) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([python, *args], check=True, capture_output=True, text=True, env=env)
    return (time.perf_counter() - started) * 1000, done.stdout + done.stderr


def as_on_lambda(repeats: int) -> None:
    """Each handler imported by the runtime's Python from the built layers, with and without bytecode."""
    from infra.layers import LAMBDA_PYTHON_VERSION, ensure_layers, lambda_python

    python = lambda_python()
    print(f"\n## as on Lambda: Python {LAMBDA_PYTHON_VERSION} importing from the layers, median of {repeats}")
    if python is None:
        print(f"skipped: no Python {LAMBDA_PYTHON_VERSION} here (set LAMBDA_PYTHON)")
        return
    try:
        layers = ensure_layers("x86_64" if platform.machine() == "x86_64" else "arm64")
    except Exception as exc:  # the deps layer needs pip and the package index the first time
        print(f"skipped: layers not built: {exc}")
        return
    env = {
        **ENV,
        "PYTHONPATH": f"{layers.core / 'python'}{os.pathsep}{layers.deps / 'python'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with tempfile.TemporaryDirectory() as empty:
        # An empty cache prefix: every module compiles from source, as from a layer without .pyc files.
        source_only = {**env, "PYTHONPYCACHEPREFIX": empty}
        print(f"{'handler':13} {'bytecode ms':>12} {'source ms':>10} {'ratio':>6}")
        for name in HANDLERS:
            timed: dict[str, list[float]] = {"bytecode": [], "source": []}
            for _ in range(repeats):  # alternating, so a busy moment slows both alike
                for label, variant in (("bytecode", env), ("source", source_only)):
                    out = process_ms("-s", "-c", LOAD, handler_file(name), python=python, env=variant)[1]
                    timed[label].append(float(out.split()[-1]))
            fast, slow = median(timed["bytecode"]), median(timed["source"])
            print(f"{name:13} {fast:12.0f} {slow:10.0f} {fast / slow:6.2f}")


def heaviest_imports(name: str, count: int = 3) -> list[tuple[int, str]]:
    """(self µs, module) of the imports that cost most by themselves."""
    _, out = process_ms("-X", "importtime", "-c", LOAD, handler_file(name))
    rows = []
    for line in out.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, module = line.removeprefix("import time:").split("|")
            rows.append((int(own), module.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    baseline = median([process_ms("-c", "pass")[0] for _ in range(args.repeats)])
    print(f"\n## cold start: median of {args.repeats}; baseline `python -c pass` {baseline:.0f} ms")
    floor = median(
        [float(process_ms("-c", FLOOR, FLOOR_MODULES)[1].split()[-1]) for _ in range(args.repeats)]
    )
    print(
        "floor: boto3 + botocore.client + Powertools logger/batch + pydantic BaseModel imported alone "
        f"{floor:.0f} ms"
    )
    print(
        f"{'handler':13} {'import ms':>10} {'over floor':>11} {'process ms':>11} {'x baseline':>11} "
        f"{'target':>8}"
    )
    slowest = ("", 0.0)
    for name in HANDLERS:
        process_ms("-c", LOAD, handler_file(name))  # writes its bytecode where there was none
        runs = [process_ms("-c", LOAD, handler_file(name)) for _ in range(args.repeats)]
        imported = median([float(out.split()[-1]) for _, out in runs])
        process = median([ms for ms, _ in runs])
        verdict = "ok" if imported <= TARGET_MS else "MISSED"
        print(
            f"{name:13} {imported:10.0f} {imported - floor:11.0f} {process:11.0f} {process / baseline:11.1f} "
            f"{verdict:>8}"
        )
        slowest = max(slowest, (name, imported), key=lambda pair: pair[1])
    print(f"heaviest imports of `{slowest[0]}` by their own time (-X importtime):")
    for own_us, module in heaviest_imports(slowest[0]):
        print(f"  {own_us / 1000:6.0f} ms  {module}")

    sys.path.insert(0, str(REPO))
    from infra.layers import ensure_layers, unzipped_size_mb

    as_on_lambda(args.repeats)
    print("\n## layers (unzipped, arm64)")
    try:
        layers = ensure_layers("arm64")
    except Exception as exc:  # the deps layer needs pip and the network the first time
        print(f"layers not built: {exc}")
        return
    for label, path in (("core", layers.core), ("deps", layers.deps)):
        print(f"{label:5} {unzipped_size_mb(path):7.1f} MB  {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
