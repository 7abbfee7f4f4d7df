"""With OCR on, the corpus scans read as the manifest says (``expected_status_with_ocr``), and no page of a
born-digital corpus file is sent to OCR, so their text is unchanged."""

import json
from pathlib import Path
from typing import Any

import pytest

from enhancer.config import load_app_config
from enhancer.errors import PermanentError
from enhancer.ocr import OcrOptions, make_engine
from enhancer.pdf import extract_pdf
from tests.conftest import CORPUS_DIR
from tests.unit.ocr.conftest import ScriptedEngine

pytestmark = [pytest.mark.corpus, pytest.mark.timeout(900)]  # OCR: seconds a page, minutes when loaded
REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = CORPUS_DIR / "manifest.json"
ENTRIES = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else []
SCANS = [e for e in ENTRIES if "expected_status_with_ocr" in e]
BORN_DIGITAL = [
    e for e in ENTRIES if e["expected_status"] == "COMPLETED" and "expected_status_with_ocr" not in e
]
SENTENCE = "Docling bundles PDF document conversion to JSON and Markdown in an easy self contained package"


def _extract(path: Path, ocr: OcrOptions | None) -> Any:
    config = load_app_config(REPO_ROOT / "config")
    try:
        return extract_pdf(
            path,
            profile=config.extraction_profiles.get(None)[1],
            patterns=config.chapter_patterns,
            max_file_bytes=200 * 1024 * 1024,
            max_pages=5000,
            ocr=ocr,
        )
    except PermanentError as exc:
        return exc


@pytest.mark.parametrize("entry", SCANS, ids=[e["file"] for e in SCANS])
def test_scans_reach_their_outcome_with_rapidocr(corpus_dir: Path, entry: dict[str, Any]) -> None:
    pytest.importorskip("rapidocr", reason="RapidOCR is the 'ocr' extra (make install brings it)")
    result = _extract(corpus_dir / "pdfs" / entry["file"], OcrOptions(engine=make_engine("rapidocr")))
    if entry["expected_status_with_ocr"] == "COMPLETED":
        assert not isinstance(result, PermanentError), result
        text = " ".join(" ".join(c.text for c in result.chapters).split())
        assert SENTENCE in text
        assert [p.status for p in result.pdf.ocr_pages] == ["ocr"] * entry["pages"]
    else:
        assert isinstance(result, PermanentError)
        assert result.code.value == entry["expected_error_code"]
        assert "OCR (rapidocr) read" in result.message


@pytest.mark.parametrize("entry", BORN_DIGITAL, ids=[e["file"] for e in BORN_DIGITAL])
def test_born_digital_files_send_no_page_to_ocr(corpus_dir: Path, entry: dict[str, Any]) -> None:
    engine = ScriptedEngine()
    with_ocr = _extract(corpus_dir / "pdfs" / entry["file"], OcrOptions(engine=engine))
    without = _extract(corpus_dir / "pdfs" / entry["file"], None)
    assert engine.seen == []
    assert [c.text for c in with_ocr.chapters] == [c.text for c in without.chapters]
