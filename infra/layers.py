"""Build the Lambda layers without Docker, cached by a hash of their inputs.

* core: the shared ``enhancer`` package staged as ``python/enhancer`` (layers put ``python/`` on the path),
  with the four JSON configs copied to ``python/enhancer/_config`` where ``default_config_dir()`` looks.
* deps: the third-party pins from ``pyproject.toml`` ``[project.dependencies]`` + ``constraints.txt``,
  installed with ``pip --platform … --only-binary=:all:`` for the Lambda runtime's Python and CPU, so a
  laptop of any kind builds the same Linux layer (every native dependency ships manylinux wheels).
* ocr (``--ocr``, to measure): the ``ocr`` extra (RapidOCR, ONNX Runtime, OpenCV headless) built the same
  way, minus what the deps layer already holds. With the deps layer it is past Lambda's 250 MB for a zip
  function and its layers, so ``-c ocr_engine=rapidocr`` deploys the OCR functions as a container image
  (``infra/ocr_image/Dockerfile``) instead; this build tells how far past.

Both layers ship bytecode compiled by the runtime's own Python (``LAMBDA_PYTHON_VERSION``), as
``unchecked-hash`` .pyc files: Lambda's ``/opt`` is read-only, so without them every cold start compiles every
module it imports from source (the extract handler: ~2.4 s instead of ~0.55 s here), and unchecked .pyc
files stay valid whatever modification times the zip gives the sources. The interpreter is found as
``$LAMBDA_PYTHON``, ``python3.12`` on the path, or a pyenv install; without one the layers are built from
source only and a warning says what that costs.

Run ``python -m infra.layers`` (``make synth`` does) or let ``infra/app.py`` call :func:`ensure_layers`.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO_ROOT / "build" / "layers"
CORE_SRC = REPO_ROOT / "layers" / "core" / "enhancer"
CONFIG_SRC = REPO_ROOT / "config"
LAMBDA_PYTHON_VERSION = "3.12"
# Lambda's python3.12 runtime is Amazon Linux 2023 (glibc 2.34): any manylinux_2_17 … 2_34 wheel runs there.
# pip does not expand manylinux_2_X tags by itself, so every accepted tag is listed.
_GLIBC_MINORS = range(17, 35)
ZIP_LIMIT_MB = 250  # function code + all its layers, unzipped
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".mypy_cache")


@dataclass(frozen=True)
class LayerDirs:
    core: Path
    deps: Path


def _pip_arch(architecture: str) -> str:
    return {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]


def platform_tags(architecture: str) -> list[str]:
    arch = _pip_arch(architecture)
    return [f"manylinux2014_{arch}"] + [f"manylinux_2_{minor}_{arch}" for minor in _GLIBC_MINORS]


def runtime_requirements() -> list[str]:
    """The functions' run-time pins: ``[project.dependencies]``, the one list the layer and the venv share."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(pyproject["project"]["dependencies"])


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "big"))
        sha.update(part)
    return sha.hexdigest()[:16]


def _tree_bytes(root: Path, pattern: str) -> list[bytes]:
    files = sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return [part for p in files for part in (str(p.relative_to(root)).encode(), p.read_bytes())]


@cache
def lambda_python() -> str | None:
    """An interpreter of the Lambda runtime's Python version, to compile the layers' bytecode with."""
    candidates = [os.environ.get("LAMBDA_PYTHON", ""), f"python{LAMBDA_PYTHON_VERSION}"]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{LAMBDA_PYTHON_VERSION}.*/bin/python3"))
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0 and found.stdout.strip() == LAMBDA_PYTHON_VERSION:
            return candidate
    return None


def _bytecode_tag() -> bytes:
    """In each layer's cache key: a layer built from source only is rebuilt once an interpreter is found."""
    return f"bytecode-{LAMBDA_PYTHON_VERSION}".encode() if lambda_python() else b"source-only"


def _compile(site_packages: Path) -> None:
    """Compile every module for the runtime's Python (see the module docstring for why)."""
    python = lambda_python()
    if python is None:
        print(
            f"warning: no Python {LAMBDA_PYTHON_VERSION} found (set LAMBDA_PYTHON): the layers ship without "
            "bytecode, and every cold start on Lambda compiles what it imports (seconds per function)",
            file=sys.stderr,
        )
        return
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    # A fixed hash seed: the same sources give the same bytes, so an unchanged layer keeps its asset hash.
    subprocess.run([*command, str(site_packages)], check=True, env={**os.environ, "PYTHONHASHSEED": "0"})


def build_core_layer() -> Path:
    """Stage ``python/enhancer`` (+ ``_config``) in ``build/layers/core-<hash>/``; same input → reuse."""
    key = _digest(*_tree_bytes(CORE_SRC, "*.py"), *_tree_bytes(CONFIG_SRC, "*.json"), _bytecode_tag())
    target = BUILD_DIR / f"core-{key}"
    if (target / ".complete").exists():
        return target
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    package = staging / "python" / "enhancer"
    shutil.copytree(CORE_SRC, package, ignore=_IGNORED)
    (package / "_config").mkdir(exist_ok=True)
    for config_file in sorted(CONFIG_SRC.glob("*.json")):
        shutil.copy2(config_file, package / "_config" / config_file.name)
    _compile(staging / "python")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").touch()
    return target


def build_deps_layer(architecture: str) -> Path:
    """``pip install --platform`` into ``build/layers/deps-<arch>-<hash>/python``; unchanged pins → reuse."""
    return _pip_layer("deps", runtime_requirements(), architecture)


def _pip_layer(name: str, pins: list[str], architecture: str, exclude: Path | None = None) -> Path:
    requirements = "\n".join(pins) + "\n"
    constraints = (REPO_ROOT / "constraints.txt").read_bytes()
    key = _digest(
        requirements.encode(),
        constraints,
        architecture.encode(),
        LAMBDA_PYTHON_VERSION.encode(),
        _bytecode_tag(),
    )
    target = BUILD_DIR / f"{name}-{architecture}-{key}"
    if (target / ".complete").exists():
        return target
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "requirements.txt").write_text(requirements, encoding="utf-8")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += [arg for tag in platform_tags(architecture) for arg in ("--platform", tag)]
    command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON_VERSION]
    command += ["--target", str(staging / "python"), "-r", str(staging / "requirements.txt")]
    command += ["-c", str(REPO_ROOT / "constraints.txt")]
    subprocess.run(command, check=True)
    _strip(staging / "python")
    if exclude is not None:
        _remove_overlap(staging / "python", exclude)
    _compile(staging / "python")
    (staging / "requirements.txt").unlink()
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").touch()
    return target


def _strip(site_packages: Path) -> None:
    """Drop what never runs on Lambda: console scripts, and the bytecode pip compiled with this machine's
    Python (``_compile`` writes the runtime's)."""
    for compiled in site_packages.rglob("__pycache__"):
        shutil.rmtree(compiled, ignore_errors=True)
    shutil.rmtree(site_packages / "bin", ignore_errors=True)


def ocr_requirements() -> list[str]:
    """The ``ocr`` extra's pins (RapidOCR, ONNX Runtime): the OCR layer, for ``ocr_engine=rapidocr`` only."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(pyproject["project"]["optional-dependencies"]["ocr"])


def build_ocr_layer(architecture: str) -> Path:
    """The OCR layer (measured, not deployed) in ``build/layers/ocr-<arch>-<hash>/python``, without what
    the deps layer already has (numpy, …: installed there once, removed here so the two do not overlap)."""
    deps = build_deps_layer(architecture)
    return _pip_layer("ocr", ocr_requirements(), architecture, exclude=deps / "python")


def _remove_overlap(site_packages: Path, other: Path) -> None:
    """Drop the top-level packages (and their dist-info) that ``other`` already provides."""
    for entry in site_packages.iterdir():
        if (other / entry.name).exists():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def ensure_layers(architecture: str) -> LayerDirs:
    return LayerDirs(core=build_core_layer(), deps=build_deps_layer(architecture))


def unzipped_size_mb(layer_dir: Path) -> float:
    total = sum(p.stat().st_size for p in layer_dir.rglob("*") if p.is_file())
    return total / (1024 * 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--architecture", choices=("arm64", "x86_64"), default="arm64")
    parser.add_argument("--ocr", action="store_true", help="also build the RapidOCR layer")
    args = parser.parse_args(argv)
    dirs = ensure_layers(args.architecture)
    built = [("core", dirs.core), ("deps", dirs.deps)]
    if args.ocr:
        built.append(("ocr", build_ocr_layer(args.architecture)))
    for name, path in built:
        print(f"{name} layer: {path.relative_to(REPO_ROOT)} ({unzipped_size_mb(path):.1f} MB unzipped)")
    total = sum(unzipped_size_mb(path) for _, path in built)
    verdict = "fits" if total <= ZIP_LIMIT_MB else "does not fit"
    print(f"all layers: {total:.1f} MB unzipped; {verdict} a zip function's {ZIP_LIMIT_MB} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
