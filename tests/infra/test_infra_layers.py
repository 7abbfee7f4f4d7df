"""The layers carry bytecode for the runtime's Python: Lambda's /opt is read-only, so a layer without .pyc
files makes every cold start compile each module it imports (bench/coldstart.py: ~4x the import time)."""

import subprocess
from pathlib import Path

import pytest

from infra import layers


@pytest.fixture
def core_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(layers, "BUILD_DIR", tmp_path)
    return layers.build_core_layer() / "python"


def test_core_layer_has_unchecked_bytecode_for_the_runtime(core_layer: Path) -> None:
    python = layers.lambda_python()
    if python is None:
        pytest.skip(f"no Python {layers.LAMBDA_PYTHON_VERSION} here: the layers are built from source only")
    magic = subprocess.run(
        [python, "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tag = f"cpython-{layers.LAMBDA_PYTHON_VERSION.replace('.', '')}"
    sources = sorted(core_layer.rglob("*.py"))
    assert len(sources) > 50
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), f"{source.relative_to(core_layer)} has no {tag} bytecode"
        header = compiled.read_bytes()[:8]
        assert header[:4].hex() == magic, f"{compiled.name}: bytecode of another Python"
        # PEP 552 flags: bit 0 hash-based, bit 1 check the source. Unchecked: zip timestamps cannot stale it.
        assert int.from_bytes(header[4:8], "little") == 0b01, f"{compiled.name}: not an unchecked-hash .pyc"


def test_core_layer_without_the_runtime_python_is_source_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(layers, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(layers, "lambda_python", lambda: None)
    built = layers.build_core_layer() / "python"
    assert not list(built.rglob("*.pyc"))
    assert "no Python 3.12 found" in capsys.readouterr().err
