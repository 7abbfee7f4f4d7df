"""The engine-independent pieces: reading order, render budget, PNG encoding, the per-page decision and
what a page's failure does, with an in-memory engine."""

import io
import json
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from pypdf import PdfReader, PdfWriter

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.ocr import OcrLine, OcrOptions, resolve_engine
from enhancer.ocr.engine import reading_order
from enhancer.ocr.pages import scanned_pages
from enhancer.ocr.render import image_coverage, plan_render, png_bytes, render_page
from enhancer.ocr.textract import parse_blocks
from tests.unit.ocr.conftest import REPO_ROOT, SCAN, ScriptedEngine, run_extract

BORN_DIGITAL = REPO_ROOT / "samples" / "annual-report.pdf"


def test_reading_order_joins_rows_and_sorts_them_left_to_right() -> None:
    lines = [
        OcrLine("second row", 0.9, (0.1, 0.30, 0.5, 0.34)),
        OcrLine("right", 0.9, (0.6, 0.101, 0.9, 0.14)),
        OcrLine("left", 0.9, (0.1, 0.10, 0.4, 0.14)),
    ]
    assert reading_order(lines) == "left right\nsecond row"


def test_auto_is_textract_on_lambda_and_rapidocr_elsewhere() -> None:
    assert resolve_engine("auto", on_lambda=True) == "textract"
    assert resolve_engine("auto", on_lambda=False) == "rapidocr"
    assert resolve_engine("rapidocr", on_lambda=True) == "rapidocr"
    assert resolve_engine("none", on_lambda=True) is None


def test_render_plan_keeps_lowers_or_skips_by_the_pixel_budget() -> None:
    a4 = (595.0, 842.0)
    assert plan_render(*a4, dpi=150, min_dpi=72, max_pixels=40_000_000).dpi == 150
    lowered = plan_render(*a4, dpi=300, min_dpi=72, max_pixels=2_000_000)
    assert lowered.dpi is not None
    assert 72 <= lowered.dpi < 300
    assert lowered.warning is not None
    assert "instead of 300" in lowered.warning
    poster = plan_render(14_400.0, 14_400.0, dpi=150, min_dpi=72, max_pixels=40_000_000)  # 200 x 200 in
    assert poster.dpi is None
    assert poster.warning is not None
    assert "skipped" in poster.warning


def test_png_bytes_decode_to_the_rendered_pixels() -> None:
    from PIL import Image

    document = pypdfium2.PdfDocument(str(SCAN))
    page = document[0]
    image = render_page(page, 40)
    page.close()
    document.close()
    decoded = Image.open(io.BytesIO(png_bytes(image)))
    assert decoded.mode == "L"
    assert decoded.size == (image.width, image.height)
    assert decoded.tobytes() == b"".join(
        image.pixels[row * image.stride : row * image.stride + image.width] for row in range(image.height)
    )


def test_textract_blocks_become_lines_with_0_to_1_confidence() -> None:
    blocks = [
        {"BlockType": "PAGE", "Id": "p"},
        {
            "BlockType": "LINE",
            "Text": "Hello world",
            "Confidence": 98.5,
            "Geometry": {"BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.02}},
        },
        {"BlockType": "WORD", "Text": "Hello", "Confidence": 99.0},
    ]
    read = parse_blocks(blocks)
    assert read.text == "Hello world"
    assert read.confidence == pytest.approx(0.985)


def test_a_scan_is_covered_by_its_image_and_a_born_digital_page_is_not() -> None:
    scan = pypdfium2.PdfDocument(str(SCAN))
    digital = pypdfium2.PdfDocument(str(BORN_DIGITAL))
    try:
        assert image_coverage(scan[0]) == pytest.approx(1.0)
        assert image_coverage(digital[0]) == 0.0
    finally:
        scan.close()
        digital.close()
    assert scanned_pages(SCAN.read_bytes(), 3, 0.5) == [1, 2, 3]
    assert scanned_pages(BORN_DIGITAL.read_bytes(), len(PdfReader(BORN_DIGITAL).pages), 0.5) == []


def test_born_digital_pages_are_never_sent_to_ocr(app_config: Any) -> None:
    engine = ScriptedEngine()
    with_ocr = run_extract(app_config, BORN_DIGITAL, OcrOptions(engine=engine))
    without = run_extract(app_config, BORN_DIGITAL, None)
    assert engine.seen == []
    assert with_ocr.pdf.ocr_pages == []
    assert [c.text for c in with_ocr.chapters] == [c.text for c in without.chapters]


def _mixed(tmp_path: Path) -> Path:
    """The born-digital report with the scan's first page appended, as a scanned appendix."""
    writer = PdfWriter(clone_from=BORN_DIGITAL)
    writer.append(SCAN, pages=[0])
    path = tmp_path / "mixed.pdf"
    writer.write(path)
    return path


def test_a_scanned_appendix_is_ocrd_alone_and_its_share_reported(app_config: Any, tmp_path: Path) -> None:
    engine = ScriptedEngine()
    result = run_extract(app_config, _mixed(tmp_path), OcrOptions(engine=engine, dpi=72))
    pages = result.pdf.page_count
    assert len(engine.seen) == 1
    assert [(p.page, p.status, p.confidence) for p in result.pdf.ocr_pages] == [(pages, "ocr", 0.9)]
    last = next(c for c in result.chapters if c.start_page <= pages <= c.end_page)
    assert engine.text in last.text
    assert 0 < last.ocr_share < 1 or last.start_page == last.end_page == pages
    first = result.chapters[0]
    assert first.end_page < pages
    assert first.ocr_share == 0.0


def test_an_engine_failure_fails_its_page_not_the_document(app_config: Any) -> None:
    engine = ScriptedEngine(fail={2})
    result = run_extract(app_config, SCAN, OcrOptions(engine=engine, dpi=72))
    statuses = [(p.page, p.status) for p in result.pdf.ocr_pages]
    assert statuses == [(1, "ocr"), (2, "failed"), (3, "ocr")]
    assert result.pdf.ocr_pages[1].warning == "scripted failure"


def test_no_page_read_is_no_text_that_says_what_ocr_did(app_config: Any) -> None:
    engine = ScriptedEngine(fail={1, 2, 3})
    with pytest.raises(PermanentError) as caught:
        run_extract(app_config, SCAN, OcrOptions(engine=engine, dpi=72))
    assert caught.value.code == ErrorCode.NO_TEXT
    assert "read 0 of 3 scanned page(s)" in caught.value.message
    assert "scripted failure" in caught.value.message


def test_ocr_off_keeps_no_text(app_config: Any) -> None:
    with pytest.raises(PermanentError) as caught:
        run_extract(app_config, SCAN, None)
    assert caught.value.code == ErrorCode.NO_TEXT


def test_a_page_too_large_to_render_is_skipped_with_a_warning(app_config: Any) -> None:
    # Given a pixel budget below the page's size at the lowest DPI allowed
    engine = ScriptedEngine()
    options = OcrOptions(engine=engine, dpi=150, min_dpi=120, max_pixels=1_000_000)
    with pytest.raises(PermanentError) as caught:
        run_extract(app_config, SCAN, options)
    # Then no page is rendered, and the document says why it has no text
    assert engine.seen == []
    assert caught.value.code == ErrorCode.NO_TEXT
    assert "too large to render" in caught.value.message


def test_a_large_page_is_rendered_at_a_lower_dpi(app_config: Any) -> None:
    engine = ScriptedEngine()
    options = OcrOptions(engine=engine, dpi=150, min_dpi=50, max_pixels=1_000_000)
    result = run_extract(app_config, SCAN, options)
    dpis = {p.dpi for p in result.pdf.ocr_pages}
    assert len(dpis) == 1
    assert 50 <= min(d or 0 for d in dpis) < 150
    assert all(p.warning and "instead of 150" in p.warning for p in result.pdf.ocr_pages)
    assert all(image.width * image.height <= 1_000_000 for image in engine.seen)


def test_cli_extract_reads_ocr_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from enhancer.cli.app import app

    monkeypatch.setenv("OCR_ENGINE", "none")
    done = CliRunner().invoke(app, ["extract", str(SCAN), "--json"])
    assert done.exit_code == 2
    report = json.loads(done.stdout)
    assert report["error_code"] == "NO_TEXT"


def _pipeline(**overrides: Any) -> Any:
    from enhancer.pipeline.context import Pipeline

    fields: dict[str, Any] = {
        "documents": None,
        "objects": None,
        "queues": None,
        "config": None,
        "output_bucket": "out",
        "enrich_queue_url": "enrich",
        "validate_queue_url": "validate",
        "idempotency_table": "idempotency",
        "max_file_bytes": 1 << 30,
        "max_pages": 5000,
        "pdf_engine": "auto",
        "pages_queue_url": "pages",
        "ocr": OcrOptions(engine=ScriptedEngine()),
        "ocr_fanout_pages": 1,
        "ocr_pages_per_task": 2,
    }
    return Pipeline(**(fields | overrides))


def test_a_scan_with_more_pages_to_ocr_than_the_threshold_fans_out_in_small_ranges() -> None:
    from enhancer.pipeline.extract import _fan_out_ranges

    scan, digital = SCAN.read_bytes(), BORN_DIGITAL.read_bytes()
    assert _fan_out_ranges(_pipeline(), scan, 3) == [(1, 2), (3, 3)]
    assert _fan_out_ranges(_pipeline(ocr_fanout_pages=3), scan, 3) == []  # 3 pages to OCR: one go
    assert _fan_out_ranges(_pipeline(ocr=None), scan, 3) == []
    assert _fan_out_ranges(_pipeline(pages_queue_url=""), scan, 3) == []
    assert _fan_out_ranges(_pipeline(), digital, 12) == []
    assert _fan_out_ranges(_pipeline(fanout_pages=10, pages_per_task=5), digital, 12) == [
        (1, 5),
        (6, 10),
        (11, 12),
    ]
