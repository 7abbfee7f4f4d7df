"""The committed samples are exactly what scripts/make_samples.py produces."""

from pathlib import Path
from types import ModuleType


def test_generator_reproduces_the_committed_samples(
    samples_module: ModuleType, samples_dir: Path, tmp_path: Path
) -> None:
    generated = {path.name: path.read_bytes() for path in samples_module.generate(tmp_path)}

    committed = {path.name: path.read_bytes() for path in samples_dir.glob("*.pdf")}
    assert set(generated) <= set(committed)
    for name, data in generated.items():
        assert committed[name] == data, f"{name}: run `make samples` and commit the result"
    assert sum(len(data) for data in generated.values()) < 500_000
