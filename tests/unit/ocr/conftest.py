"""Fixtures for the OCR tests: the generated scan, its known words, in-memory engines."""

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from enhancer.config import load_app_config
from enhancer.models.extraction import ExtractionResult
from enhancer.ocr import OcrError, OcrLine, OcrOptions, OcrText, PageImage
from enhancer.pdf import extract_pdf

REPO_ROOT = Path(__file__).resolve().parents[3]
SCAN = REPO_ROOT / "samples" / "scanned-memo.pdf"
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def recall(expected: str, found: str) -> float:
    """Share of the expected words (with repeats) found in the OCR text."""
    want = words(expected)
    have: dict[str, int] = {}
    for word in words(found):
        have[word] = have.get(word, 0) + 1
    hits = 0
    for word in want:
        if have.get(word, 0) > 0:
            have[word] -= 1
            hits += 1
    return hits / len(want)


@pytest.fixture(scope="session")
def samples_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", REPO_ROOT / "scripts" / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def scan_texts(samples_module: ModuleType) -> list[str]:
    return ["\n".join(lines) for lines in samples_module.scan_pages()]


@pytest.fixture(scope="session")
def app_config() -> Any:
    return load_app_config(REPO_ROOT / "config")


def run_extract(app_config: Any, source: bytes | Path, ocr: OcrOptions | None) -> ExtractionResult:
    return extract_pdf(
        source,
        profile=app_config.extraction_profiles.get("default")[1],
        patterns=app_config.chapter_patterns,
        max_file_bytes=50 * 1024 * 1024,
        max_pages=500,
        ocr=ocr,
    )


@dataclass
class ScriptedEngine:
    """An in-memory engine: reads back a fixed line per call, or fails the calls listed in ``fail``."""

    name: str = "scripted"
    text: str = "Scripted text read from the scanned page image"
    fail: set[int] = field(default_factory=set)
    seen: list[PageImage] = field(default_factory=list)

    def read(self, image: PageImage) -> OcrText:
        self.seen.append(image)
        if len(self.seen) in self.fail:
            raise OcrError("scripted failure")
        # Different words on every page: a line repeated on each page is a running header to the layout.
        extra = " ".join(_EXTRA[(len(self.seen) + i) % len(_EXTRA)] for i in range(4))
        return OcrText(
            lines=[
                OcrLine(self.text, 0.9, (0.1, 0.1, 0.9, 0.15)),
                OcrLine(f"{extra} {self.name}", 0.9, (0.1, 0.2, 0.9, 0.25)),
            ]
        )


_EXTRA = ("valves", "pumps", "filters", "gauges", "cables", "ladders", "hoses", "panels")
