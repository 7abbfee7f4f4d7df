"""A PDF whose strings are huge (a 1 MB title and author, an outline of thousands of long titles) completes
like any other: every string is cut where its model is built, and the result says what was cut. Before the
bound, the documents item passed DynamoDB's 400 KB and the document stayed ENRICHING for good."""

import io
import json

import boto3
import pytest
from pypdf import PdfReader, PdfWriter

from enhancer.models import DocumentStatus
from enhancer.models.bounded import AUTHOR_MAX_CHARS, TITLE_MAX_CHARS
from enhancer.models.budget import DYNAMODB_ITEM_BUDGET_BYTES, dynamodb_item_bytes
from enhancer.pipeline.ids import document_id_for
from enhancer.storage import document_store

from .conftest import SAMPLES, Invoke, drain, s3_event_for

OUTLINE_ENTRIES = 3000


@pytest.fixture
def hostile_pdf() -> bytes:
    path = SAMPLES / "annual-report.pdf"
    if not path.is_file():
        pytest.skip("samples/ not generated (make samples)")
    writer = PdfWriter(clone_from=PdfReader(path))
    writer.add_metadata({"/Title": "T" * 1_000_000, "/Author": "A" * 1_000_000, "/Subject": "S" * 1_000_000})
    pages = len(writer.pages)
    for page in range(pages):
        parent = writer.add_outline_item(title=f"Chapter {page + 1} " + "x" * 200_000, page_number=page)
        for child in range(OUTLINE_ENTRIES // pages):
            writer.add_outline_item(title=f"Section {child} " + "y" * 2_000, page_number=page, parent=parent)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_a_megabyte_title_and_a_huge_outline_completes_with_its_cuts_reported(
    aws: dict[str, str], invoke: Invoke, hostile_pdf: bytes
) -> None:
    key = "incoming/hostile.pdf"
    s3 = boto3.client("s3")
    etag = s3.put_object(Bucket=aws["INPUT_BUCKET"], Key=key, Body=hostile_pdf)["ETag"].strip('"')
    boto3.client("sqs").purge_queue(QueueUrl=aws["INGEST_QUEUE_URL"])

    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    assert drain(invoke, aws, "enrich", "enrich") == []
    assert drain(invoke, aws, "validate", "validate") == []

    doc = document_id_for(aws["INPUT_BUCKET"], key, etag)
    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert record.status == DocumentStatus.COMPLETED, record.error_message
    item = boto3.client("dynamodb").get_item(
        TableName=aws["DOCUMENTS_TABLE"], Key={"document_id": {"S": doc}}
    )
    assert dynamodb_item_bytes(item["Item"]) <= DYNAMODB_ITEM_BUDGET_BYTES
    body = s3.get_object(Bucket=aws["OUTPUT_BUCKET"], Key=f"results/{doc}.json")["Body"].read()
    result = json.loads(body)
    assert result["status"] == "COMPLETED"
    assert len(result["pdf"]["title"]) == TITLE_MAX_CHARS
    assert len(result["pdf"]["author"]) == AUTHOR_MAX_CHARS
    assert result["pdf"]["truncated"] == ["title", "author"]
    assert "pdf.title" in result["truncated"]
    assert "pdf.author" in result["truncated"]
    assert all(len(c["title"]) <= TITLE_MAX_CHARS for c in result["chapters"])
    assert all(len(s["title"]) <= TITLE_MAX_CHARS for c in result["chapters"] for s in c["sections"])
    flagged = {p for c in result["chapters"] for p in c["truncated"]}
    assert all(
        f"chapters[{c['index']}].{name}" in result["truncated"]
        for c in result["chapters"]
        for name in c["truncated"]
    )
    assert flagged <= {"title", "part_title", "start_label", "end_label"}
    assert len(body) < 5_000_000
