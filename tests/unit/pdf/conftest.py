"""Fixtures for the PDF tests: the real configs, the sample generator, hand-built PDF bytes."""

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from enhancer.config import ChapterPatternsConfig, ProfileConfig, load_app_config
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf import extract_pdf

Extract = Callable[..., ExtractionResult]
REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES_DIR = REPO_ROOT / "samples"


@pytest.fixture(scope="session")
def app_config() -> Any:
    return load_app_config(REPO_ROOT / "config")


@pytest.fixture(scope="session")
def patterns(app_config: Any) -> ChapterPatternsConfig:
    return app_config.chapter_patterns


@pytest.fixture(scope="session")
def profile(app_config: Any) -> ProfileConfig:
    return app_config.extraction_profiles.get("default")[1]


@pytest.fixture
def extract(patterns: ChapterPatternsConfig, profile: ProfileConfig) -> Extract:
    """extract_pdf with the repository's config and generous limits; keywords override."""

    def run(source: bytes | Path, **overrides: Any) -> ExtractionResult:
        kwargs: dict[str, Any] = {
            "profile": profile,
            "patterns": patterns,
            "max_file_bytes": 50 * 1024 * 1024,
            "max_pages": 500,
        }
        kwargs.update(overrides)
        return extract_pdf(source, **kwargs)

    return run


@pytest.fixture(scope="session")
def samples_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", REPO_ROOT / "scripts" / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR
