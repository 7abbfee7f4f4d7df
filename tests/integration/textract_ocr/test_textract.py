"""The Textract engine through the real boto3 client against the fake Textract server (JSON 1.1 wire
format), alone and as the pipeline's OCR engine over the pages queue."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from enhancer.errors import RetryableError
from enhancer.faketextract import FakeTextractServer
from enhancer.local.session import RunOptions, run_local
from enhancer.ocr import OcrLine, OcrOptions, OcrText, PageImage
from enhancer.ocr.textract import TextractEngine
from tests.unit.ocr.conftest import SCAN, recall, run_extract

pytestmark = pytest.mark.integration


_LINES = (
    "The north pump house passed its pressure test after the seals were replaced",
    "Two ladders on the east tank failed inspection and were tagged out of service",
    "Cable trays in the switch room need new covers before the winter shutdown",
)


def _canned_reader() -> Any:
    """One line per page, a different one each call, and the image's size (no OCR model needed)."""
    calls: list[int] = []

    def read(image: PageImage) -> OcrText:
        calls.append(image.width)
        line = f"{_LINES[(len(calls) - 1) % len(_LINES)]} ({image.width} x {image.height} pixels)"
        return OcrText(lines=[OcrLine(line, 0.97, (0.1, 0.1, 0.8, 0.14))])

    return read


@pytest.fixture
def fake_textract() -> Iterator[FakeTextractServer]:
    with FakeTextractServer(reader=_canned_reader()) as server:
        yield server


def _engine(server: FakeTextractServer, attempts: int = 3) -> TextractEngine:
    client = boto3.client(
        "textract",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": attempts}),
    )
    return TextractEngine(client)


def test_pages_are_read_through_boto3_with_textract_confidence(
    fake_textract: FakeTextractServer, app_config: Any
) -> None:
    result = run_extract(app_config, SCAN, OcrOptions(engine=_engine(fake_textract), dpi=72))
    assert [(p.page, p.status, p.engine, p.confidence) for p in result.pdf.ocr_pages] == [
        (1, "ocr", "textract", 0.97),
        (2, "ocr", "textract", 0.97),
        (3, "ocr", "textract", 0.97),
    ]
    text = " ".join(result.chapters[0].text.split())
    assert f"{_LINES[1]} (612 x 792 pixels)" in text
    assert all(r.image_bytes > 1000 for r in fake_textract.requests)


def test_a_throttled_call_is_retried_by_the_sdk(fake_textract: FakeTextractServer, app_config: Any) -> None:
    fake_textract.script("throttle", "provisioned")
    result = run_extract(app_config, SCAN, OcrOptions(engine=_engine(fake_textract, attempts=3), dpi=72))
    assert [p.status for p in result.pdf.ocr_pages] == ["ocr", "ocr", "ocr"]
    assert fake_textract.stats()["by_action"] == {"throttle": 1, "provisioned": 1, "ok": 3}


def test_a_refused_page_fails_alone(fake_textract: FakeTextractServer, app_config: Any) -> None:
    fake_textract.script("ok", "bad_document")
    result = run_extract(app_config, SCAN, OcrOptions(engine=_engine(fake_textract), dpi=72))
    assert [p.status for p in result.pdf.ocr_pages] == ["ocr", "failed", "ocr"]
    warning = result.pdf.ocr_pages[1].warning
    assert warning is not None
    assert "BadDocumentException" in warning


def test_a_service_that_keeps_failing_is_a_retryable_error(
    fake_textract: FakeTextractServer, app_config: Any
) -> None:
    fake_textract.script("500", "500", "500")  # max_attempts counts retries: three requests in all
    with pytest.raises(RetryableError, match="InternalServerError"):
        run_extract(app_config, SCAN, OcrOptions(engine=_engine(fake_textract, attempts=2), dpi=72))


def test_the_fake_speaks_json_1_1_and_refuses_what_textract_refuses(
    fake_textract: FakeTextractServer,
) -> None:
    client = _engine(fake_textract).client
    with pytest.raises(client.exceptions.UnsupportedDocumentException):
        client.detect_document_text(Document={"Bytes": b"GIF89a not a supported image"})
    # An operation it does not serve is refused in the protocol's error shape.
    request = urllib.request.Request(
        fake_textract.url,
        data=b"{}",
        headers={"X-Amz-Target": "Textract.AnalyzeDocument", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    assert json.loads(caught.value.read())["__type"] == "UnknownOperationException"


@pytest.mark.timeout(900)  # RapidOCR behind the fake: seconds a page idle, minutes on shared cores
def test_real_words_come_back_through_the_textract_wire_format(scan_texts: list[str]) -> None:
    pytest.importorskip("rapidocr", reason="the fake Textract reads images with RapidOCR")
    import pypdfium2

    from enhancer.ocr.render import render_page

    document = pypdfium2.PdfDocument(str(SCAN))
    page = document[1]  # the page stored rotated
    image = render_page(page, 150)
    page.close()
    document.close()
    with FakeTextractServer() as textract:
        # A patient client: one OCR of a page can take minutes on a loaded machine, and a retry would queue
        # a second one behind it.
        client = boto3.client(
            "textract",
            endpoint_url=textract.url,
            region_name="us-east-1",
            config=Config(retries={"mode": "standard", "max_attempts": 0}, read_timeout=900),
        )
        read = TextractEngine(client).read(image)
    assert recall(scan_texts[1], read.text) >= 0.9
    assert read.confidence is not None
    assert read.confidence > 0.8


@pytest.mark.skipif(not SCAN.is_file(), reason="samples/ not generated (make samples)")
def test_a_scan_fans_out_over_the_pages_queue_and_is_read_by_textract(
    tmp_path: Path, aws_endpoint: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / SCAN.name).write_bytes(SCAN.read_bytes())
    # Given one page per pages-queue task, and Textract answering each page with its own line
    with FakeTextractServer(reader=_canned_reader()) as textract:
        env = {
            "OCR_ENGINE": "textract",
            "AWS_ENDPOINT_URL_TEXTRACT": textract.url,
            "OCR_FANOUT_PAGES": "1",
            "OCR_PAGES_PER_TASK": "1",
        }
        options = RunOptions(out_dir=tmp_path / "out", endpoint_url=aws_endpoint, stage="ocr", extra_env=env)
        (summary,) = run_local([folder], options)
        requests = len(textract.requests)
    assert summary.status == "COMPLETED", summary.error_message
    assert requests == 3
    result = json.loads((tmp_path / "out" / "scanned-memo.json").read_text())
    assert [(p["page"], p["engine"], p["status"]) for p in result["pdf"]["ocr_pages"]] == [
        (1, "textract", "ocr"),
        (2, "textract", "ocr"),
        (3, "textract", "ocr"),
    ]
    assert result["usage"]["ocr_pages"] == 3
    assert result["usage"]["ocr_cost_usd"] == pytest.approx(3 * 0.0015)
    assert all(c["ocr_share"] == 1.0 for c in result["chapters"])
    # The offline provider's summaries are sentences of the chapter text: the pages' lines, fanned back in.
    summaries = " ".join(" ".join(c["metadata"]["summary"] for c in result["chapters"]).split())
    assert sum(line in summaries for line in _LINES) >= 2
