"""RapidOCR on the generated scan (text rendered to page images, page 2 stored rotated): the words come
back, in order, with their confidence, and the document extracts like a born-digital one; appended to a
born-digital report as a scanned appendix, only that page is OCR'd."""

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from enhancer.models.extraction import ExtractionResult
from enhancer.ocr import OcrOptions, make_engine
from tests.unit.ocr.conftest import REPO_ROOT, SCAN, recall, run_extract

pytest.importorskip("rapidocr", reason="RapidOCR is the 'ocr' extra (make install brings it)")
# A few seconds a page on an idle machine; minutes when the cores are shared.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def scanned(app_config: Any) -> ExtractionResult:
    return run_extract(app_config, SCAN, OcrOptions(engine=make_engine("rapidocr")))


def test_every_page_of_the_scan_is_read_with_high_word_recall(
    scanned: ExtractionResult, scan_texts: list[str]
) -> None:
    assert [(p.page, p.status, p.engine, p.dpi) for p in scanned.pdf.ocr_pages] == [
        (1, "ocr", "rapidocr", 150),
        (2, "ocr", "rapidocr", 150),
        (3, "ocr", "rapidocr", 150),
    ]
    text = "\n".join(c.text for c in scanned.chapters)
    assert recall("\n".join(scan_texts), text) >= 0.9
    for page in scanned.pdf.ocr_pages:
        assert page.confidence is not None
        assert page.confidence > 0.8
        assert page.chars > 300


def test_the_rotated_page_reads_as_well_as_the_upright_ones(
    app_config: Any, scanned: ExtractionResult, scan_texts: list[str]
) -> None:
    # Page 2 is stored sideways with /Rotate 90: rendering applies the rotation before OCR.
    page_two_words = scan_texts[1].split()[:6]
    text = " ".join(" ".join(c.text for c in scanned.chapters).split())
    assert " ".join(page_two_words) in text


def test_the_whole_scan_is_ocr_text(scanned: ExtractionResult) -> None:
    assert scanned.chapters
    assert all(chapter.ocr_share == 1.0 for chapter in scanned.chapters)
    assert scanned.pdf.text_chars > 1000


def test_a_born_digital_report_with_a_scanned_appendix_reads_both(
    app_config: Any, scan_texts: list[str], tmp_path: Path
) -> None:
    # Given the born-digital annual report with the scan's third page appended, as a scanned appendix
    writer = PdfWriter(clone_from=REPO_ROOT / "samples" / "annual-report.pdf")
    writer.append(SCAN, pages=[2])
    mixed = tmp_path / "mixed.pdf"
    writer.write(mixed)
    # When it is extracted with RapidOCR, and without OCR
    with_ocr = run_extract(app_config, mixed, OcrOptions(engine=make_engine("rapidocr")))
    without = run_extract(app_config, mixed, None)
    # Then only the appendix page is OCR'd and its words are found; the text-layer pages read as before
    pages = with_ocr.pdf.page_count
    assert [(p.page, p.status) for p in with_ocr.pdf.ocr_pages] == [(pages, "ocr")]
    assert recall(scan_texts[2], "\n".join(c.text for c in with_ocr.chapters)) >= 0.9
    before = [c for c in without.chapters if c.end_page < pages]
    assert before
    assert [c.text for c in with_ocr.chapters[: len(before)]] == [c.text for c in before]
    assert all(c.ocr_share == 0.0 for c in with_ocr.chapters[: len(before)])
    assert with_ocr.chapters[-1].ocr_share > 0
