"""Huge documents: page ranges over the pages queue, one fan-in however often SQS redelivers."""

import hashlib
import json
import zlib
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enhancer.config import load_app_config
from enhancer.local.functions import sqs_event
from enhancer.models import DocumentStatus, ErrorCode
from enhancer.pdf import extract_pdf
from enhancer.pdf.pages import page_ranges
from enhancer.pipeline.ids import document_id_for
from enhancer.storage import document_store
from tests.conftest import CONFIG_DIR
from tests.unit.pdf.huge_book import huge_book
from tests.unit.pdf.pdf_builders import raw_pdf, text_page, zero_bomb

from .conftest import Invoke, drain, load_event, s3_event_for

PAGES = 130
FANOUT = {"EXTRACT_FANOUT_PAGES": "50", "EXTRACT_PAGES_PER_TASK": "30"}  # 130 pages → 5 ranges


@pytest.mark.parametrize(
    ("pages", "per_task", "expected"),
    [
        (1, 100, [(1, 1)]),
        (100, 100, [(1, 100)]),
        (101, 100, [(1, 100), (101, 101)]),
        (250, 100, [(1, 100), (101, 200), (201, 250)]),
    ],
)
def test_page_ranges_split_at_the_task_size(
    pages: int, per_task: int, expected: list[tuple[int, int]]
) -> None:
    assert page_ranges(pages, per_task) == expected


@given(st.integers(1, 5000), st.integers(1, 400))
def test_page_ranges_tile_every_page_once(pages: int, per_task: int) -> None:
    ranges = page_ranges(pages, per_task)
    covered = [page for first, last in ranges for page in range(first, last + 1)]
    assert covered == list(range(1, pages + 1))
    assert all(last - first + 1 <= per_task for first, last in ranges)


def _upload_and_extract(env: dict[str, str], invoke: Invoke, body: bytes) -> str:
    key = "incoming/huge.pdf"
    s3 = boto3.client("s3")
    etag = s3.put_object(Bucket=env["INPUT_BUCKET"], Key=key, Body=body)["ETag"].strip('"')
    boto3.client("sqs").purge_queue(QueueUrl=env["INGEST_QUEUE_URL"])
    assert invoke("extract", s3_event_for(env["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    return document_id_for(env["INPUT_BUCKET"], key, etag)


def _receive_all(url: str) -> list[dict[str, Any]]:
    sqs: Any = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    ):
        messages.extend(batch)
    return messages


def test_a_huge_document_fans_out_and_fans_in_once_when_every_message_comes_twice(
    aws: dict[str, str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FANOUT.items():
        monkeypatch.setenv(name, value)
    body = huge_book(PAGES, pages_per_chapter=20)
    doc = _upload_and_extract(aws, invoke, body)
    store = document_store(aws["DOCUMENTS_TABLE"])
    planned = store.get(doc)
    assert planned is not None
    assert (planned.status, planned.page_tasks) == (DocumentStatus.EXTRACTING, 5)

    # When: every pages message is delivered twice, the duplicate right after the original.
    messages = _receive_all(aws["PAGES_QUEUE_URL"])
    assert len(messages) == 5
    for message in messages:
        for _ in range(2):
            response = invoke("extract_pages", sqs_event([message], "arn:aws:sqs:us-east-1:1:pages"))
            assert response == {"batchItemFailures": []}

    # Then: one fan-in, one enrich message per chapter, and the chapters of a one-shot extraction.
    record = store.get(doc)
    assert record is not None
    assert record.status == DocumentStatus.ENRICHING
    assert record.pages_done == {1, 31, 61, 91, 121}
    enrich = _receive_all(aws["ENRICH_QUEUE_URL"])
    assert len(enrich) == record.chapter_count
    config = load_app_config(CONFIG_DIR)
    one_shot = extract_pdf(
        body,
        profile=config.extraction_profiles.get("default")[1],
        patterns=config.chapter_patterns,
        max_file_bytes=10**9,
        max_pages=10_000,
    )
    manifest = boto3.client("s3").get_object(Bucket=aws["OUTPUT_BUCKET"], Key=f"work/{doc}/manifest.json")
    spans = json.loads(manifest["Body"].read())["chapters"]
    assert spans == [c.span().model_dump(mode="json") for c in one_shot.chapters]
    # Long chapters come in parts ("<title> (part k of n)"), as on the one-shot path.
    assert len({s["title"].split(" (part ")[0] for s in spans}) == 7
    assert len(spans) > 7
    assert {s["detected_by"] for s in spans} == {"outline"}


def test_the_fan_in_claim_goes_to_one_range_and_to_its_retries_only(aws: dict[str, str]) -> None:
    store = document_store(aws["DOCUMENTS_TABLE"])
    from datetime import UTC, datetime

    from enhancer.models import DocumentRecord

    now = datetime.now(UTC)
    store.create_if_absent(
        DocumentRecord(
            document_id="d1",
            status=DocumentStatus.EXTRACTING,
            profile="default",
            source_bucket="b",
            source_key="k",
            created_at=now,
            updated_at=now,
        )
    )
    assert store.plan_page_tasks("d1", 2, page_count=150, sha256="ab")
    assert store.record_page_range("d1", 1).pages_done == {1}
    assert store.record_page_range("d1", 101).pages_done == {1, 101}
    assert store.record_page_range("d1", 1).pages_done == {1, 101}  # a redelivery adds nothing

    claims = [store.claim_pages_fan_in("d1", first) for first in (101, 1, 101, 1)]

    assert claims == [True, False, True, False]  # the winner's retry may claim again; nobody else
    assert store.transition("d1", DocumentStatus.EXTRACTING, DocumentStatus.ENRICHING, chapter_count=1)
    assert store.claim_pages_fan_in("d1", 101) is False  # past extraction: no second fan-in


def test_a_range_failing_permanently_fails_the_document_with_its_code(
    aws: dict[str, str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTRACT_FANOUT_PAGES", "4")
    monkeypatch.setenv("EXTRACT_PAGES_PER_TASK", "3")
    # Given: nine readable pages, then a page whose content stream inflates past the per-stream limit.
    text = [zlib.compress(text_page(f"Page {n}", "Some words on a page of text.")) for n in range(1, 10)]
    body = raw_pdf([*text, zero_bomb(80 * 1024 * 1024)], filter_name="FlateDecode")
    doc = _upload_and_extract(aws, invoke, body)

    failures = drain(invoke, aws, "pages", "extract_pages")

    assert failures == []  # permanent: acknowledged, not retried
    record = document_store(aws["DOCUMENTS_TABLE"]).get(doc)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, ErrorCode.CORRUPT_PDF)
    assert record.pages_done == {1, 4, 7}  # the readable ranges finished; the document still failed
    result = json.loads(
        boto3.client("s3").get_object(Bucket=aws["OUTPUT_BUCKET"], Key=f"results/{doc}.json")["Body"].read()
    )
    assert (result["status"], result["error_code"]) == ("FAILED", "CORRUPT_PDF")
    assert result["source"]["sha256"] == hashlib.sha256(body).hexdigest()  # as the one-shot path records
    assert _receive_all(aws["ENRICH_QUEUE_URL"]) == []


def test_a_pages_message_for_an_unknown_document_is_acknowledged(aws: dict[str, str], invoke: Invoke) -> None:
    assert invoke("extract_pages", load_event("pages_sqs.json")) == {"batchItemFailures": []}
    assert boto3.client("dynamodb").scan(TableName=aws["DOCUMENTS_TABLE"])["Count"] == 0


def test_a_dead_lettered_pages_message_names_its_document() -> None:
    from enhancer.pipeline.records import dead_letter_document_id

    body = load_event("pages_sqs.json")["Records"][0]["body"]
    assert dead_letter_document_id("pages", body) == "0123456789abcdef0123456789abcdef"
