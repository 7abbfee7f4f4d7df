"""A one-page scan through the handlers with RapidOCR: the page's OCR report, usage and metrics."""

import io
import json

import boto3
import pytest
from pypdf import PdfWriter

from enhancer.pipeline.ids import document_id_for

from .conftest import SAMPLES, Invoke, drain, s3_event_for

pytest.importorskip("rapidocr", reason="RapidOCR is the 'ocr' extra (make install brings it)")
pytestmark = pytest.mark.timeout(900)  # OCR takes seconds a page idle, minutes on shared cores


def _one_page_scan() -> bytes:
    writer = PdfWriter()
    writer.append(SAMPLES / "scanned-memo.pdf", pages=[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_scanned_page_is_ocrd_counted_and_priced(
    aws: dict[str, str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OCR_ENGINE", "rapidocr")
    monkeypatch.setenv("OCR_DPI", "100")
    s3 = boto3.client("s3")
    key = "incoming/scan.pdf"
    etag = s3.put_object(Bucket=aws["INPUT_BUCKET"], Key=key, Body=_one_page_scan())["ETag"].strip('"')

    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    assert drain(invoke, aws, "enrich", "enrich") == []
    assert drain(invoke, aws, "validate", "validate") == []

    doc = document_id_for(aws["INPUT_BUCKET"], key, etag)
    result = json.loads(s3.get_object(Bucket=aws["OUTPUT_BUCKET"], Key=f"results/{doc}.json")["Body"].read())
    assert result["status"] == "COMPLETED"
    (page,) = result["pdf"]["ocr_pages"]
    assert (page["page"], page["engine"], page["status"], page["dpi"]) == (1, "rapidocr", "ocr", 100)
    assert page["confidence"] > 0.8
    assert result["usage"]["ocr_pages"] == 1
    assert result["usage"]["ocr_cost_usd"] == 0.0  # RapidOCR's price in config/ocr_pricing.json
    assert result["chapters"][0]["ocr_share"] == 1.0
    emitted = capsys.readouterr().out
    assert '"PagesOCRed"' in emitted
    assert '"OCRLatency"' in emitted
