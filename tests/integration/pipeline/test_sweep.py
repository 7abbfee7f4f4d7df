"""The sweeper function over HTTP (moto's server): stalled documents end TIMED_OUT, documents whose message
died end DEAD_LETTERED, and the dead letters stay in their DLQs."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from enhancer.local.functions import invoke
from enhancer.local.provision import dead_letter_queue_urls, provision
from enhancer.local.runtime import scheduled_event
from enhancer.models import DocumentRecord, DocumentStatus, EnrichMessage
from enhancer.pipeline.context import Pipeline, build_pipeline, clear_pipeline_cache
from enhancer.pipeline.idempotency import clear_idempotency_cache
from enhancer.pipeline.ids import document_id_for
from enhancer.pipeline.queue_state import QueueInspector
from enhancer.pipeline.sweep import dead_letter_of, read_targets
from enhancer.resources import QUEUES, RESULTS_PREFIX
from enhancer.settings import get_settings
from enhancer.storage import clear_clients
from enhancer.storage.documents import utcnow

pytestmark = pytest.mark.integration
STAGE = "sweep"


def _clear() -> None:
    get_settings.cache_clear()
    clear_clients()
    clear_pipeline_cache()
    clear_idempotency_cache()


@pytest.fixture
def env(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    _clear()
    resources = provision(STAGE, visibility_timeout_s=20)
    for name, value in resources.items():
        monkeypatch.setenv(name, value)
    sqs: Any = boto3.client("sqs")
    for spec in QUEUES:  # the s3:TestEvent that setting up the notification sent
        sqs.purge_queue(QueueUrl=resources[spec.env_var])
    _clear()
    yield resources
    _clear()


@pytest.fixture
def pipeline(env: dict[str, str]) -> Pipeline:
    return build_pipeline(get_settings())


def _document(
    pipeline: Pipeline, n: int, status: DocumentStatus, *, age_s: float, run: int = 0
) -> DocumentRecord:
    then = utcnow() - timedelta(seconds=age_s)
    record = DocumentRecord(
        document_id=f"{n:032x}",
        status=status,
        profile="default",
        source_bucket=pipeline.output_bucket,
        source_key=f"incoming/doc-{n}.pdf",
        created_at=then,
        updated_at=then,
        run=run,
        chapter_count=2 if status in (DocumentStatus.ENRICHING, DocumentStatus.VALIDATING) else None,
    )
    assert pipeline.documents.create_if_absent(record)
    return record


def _sweep(monkeypatch: pytest.MonkeyPatch, stale_after_s: float | None = None) -> dict[str, int]:
    """One scheduled invocation of the real sweeper handler, as EventBridge makes it."""
    if stale_after_s is None:
        monkeypatch.delenv("SWEEP_STALE_AFTER_S", raising=False)
    else:
        monkeypatch.setenv("SWEEP_STALE_AFTER_S", str(stale_after_s))
    get_settings.cache_clear()
    return invoke("sweeper", scheduled_event())


def _dead_letter(env: dict[str, str], queue_key: str, body: str) -> str:
    sqs: Any = boto3.client("sqs")
    url = dead_letter_queue_urls(STAGE)[queue_key]
    sqs.send_message(QueueUrl=url, MessageBody=body)
    return str(url)


def _visible(url: str) -> list[str]:
    """The DLQ's messages, received and made visible again at once (what a later redrive would get)."""
    sqs: Any = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in messages.get("Messages", [])]


def test_a_document_stuck_with_no_message_anywhere_ends_timed_out_after_its_steps_maximum_time(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given one ENRICHING document untouched for 2 minutes and one updated just now, and no message anywhere
    stuck = _document(pipeline, 1, DocumentStatus.ENRICHING, age_s=120)
    fresh = _document(pipeline, 2, DocumentStatus.ENRICHING, age_s=0)

    # When the sweeper runs with a one-minute maximum time
    report = _sweep(monkeypatch, stale_after_s=60)

    # Then the stuck one ends FAILED / TIMED_OUT with its failed result, the fresh one is left alone
    assert (report["stalled"], report["timed_out"], report["deferred"]) == (1, 1, 0)
    record = pipeline.documents.get(stuck.document_id)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, "TIMED_OUT")
    assert "no progress in ENRICHING" in (record.error_message or "")
    result = pipeline.objects.get_json(pipeline.output_bucket, f"{RESULTS_PREFIX}{stuck.document_id}.json")
    assert (result["status"], result["error_code"]) == ("FAILED", "TIMED_OUT")
    again = pipeline.documents.get(fresh.document_id)
    assert again is not None
    assert again.status == DocumentStatus.ENRICHING
    # and a second sweep finds nothing more to do
    assert _sweep(monkeypatch, stale_after_s=60)["stalled"] == 0


def test_without_an_override_the_maximum_time_is_the_queues_retry_window(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given local queues with a 20 s visibility timeout and maxReceiveCount 3: 60 s for every step
    targets = read_targets(QueueInspector(), {q.key: env[q.env_var] for q in QUEUES})
    assert {status: targets.max_time_s(status) for status in DocumentStatus if not status.is_terminal} == {
        status: 60.0 for status in DocumentStatus if not status.is_terminal
    }
    young = _document(pipeline, 3, DocumentStatus.VALIDATING, age_s=30)
    old = _document(pipeline, 4, DocumentStatus.EXTRACTING, age_s=90)

    report = _sweep(monkeypatch)

    assert report["timed_out"] == 1
    statuses = {d: pipeline.documents.get(d).status for d in (young.document_id, old.document_id)}  # type: ignore[union-attr]
    assert statuses == {young.document_id: DocumentStatus.VALIDATING, old.document_id: DocumentStatus.FAILED}


def test_a_stalled_document_is_counted_but_not_failed_while_a_queue_still_holds_messages(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stalled ENRICHING document, and an enrich message still queued (it may be this document's)
    stalled = _document(pipeline, 5, DocumentStatus.ENRICHING, age_s=120)
    sqs: Any = boto3.client("sqs")
    sqs.send_message(QueueUrl=env["ENRICH_QUEUE_URL"], MessageBody="{}", DelaySeconds=900)

    report = _sweep(monkeypatch, stale_after_s=60)

    # Then it counts as stalled (the alarm's metric) but keeps waiting for its message
    assert (report["stalled"], report["deferred"], report["timed_out"]) == (1, 1, 0)
    record = pipeline.documents.get(stalled.document_id)
    assert record is not None
    assert record.status == DocumentStatus.ENRICHING


def test_a_document_whose_message_died_ends_dead_lettered_and_the_message_stays_in_its_dlq(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ENRICHING document (updated just now) whose chapter message is in the enrich DLQ
    document = _document(pipeline, 6, DocumentStatus.ENRICHING, age_s=0)
    body = EnrichMessage(
        document_id=document.document_id,
        chapter_index=1,
        chapter_key="work/x/chapters/1.json",
        profile="default",
    ).model_dump_json()
    dlq = _dead_letter(env, "enrich", body)

    # When the sweeper runs (no stale override: the document is far from its step's maximum time)
    report = _sweep(monkeypatch)

    # Then the document ends FAILED / DEAD_LETTERED, and the message is still there, visible, for redrive
    assert (report["dead_letters"], report["dead_lettered"]) == (1, 1)
    record = pipeline.documents.get(document.document_id)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, "DEAD_LETTERED")
    assert "enrich dead-letter queue" in (record.error_message or "")
    assert _visible(dlq) == [body]
    # and the next sweep reads it again without failing anything twice
    assert _sweep(monkeypatch)["dead_lettered"] == 0
    assert _visible(dlq) == [body]


def test_an_upload_whose_ingest_message_died_before_extraction_recorded_it_ends_dead_lettered(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an S3 notification in the ingest DLQ for an upload that has no document record at all (extract
    # failed on every receive before writing it: what one fault proxy run showed, the run then waited forever)
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": env["INPUT_BUCKET"]},
                        "object": {"key": "incoming/annual+report.pdf", "eTag": "0123abcd", "size": 10},
                    },
                }
            ]
        }
    )
    dlq = _dead_letter(env, "ingest", body)
    document_id = document_id_for(env["INPUT_BUCKET"], "incoming/annual report.pdf", "0123abcd")
    assert pipeline.documents.get(document_id) is None

    # When the sweeper runs
    report = _sweep(monkeypatch)

    # Then the upload has a record, FAILED / DEAD_LETTERED, with its source, and a failed result; the message
    # stays in the DLQ for redrive, and the next sweep changes nothing
    assert (report["dead_letters"], report["dead_lettered"]) == (1, 1)
    record = pipeline.documents.get(document_id)
    assert record is not None
    assert (record.status, record.error_code) == (DocumentStatus.FAILED, "DEAD_LETTERED")
    assert (record.source_key, record.source_etag) == ("incoming/annual report.pdf", "0123abcd")
    assert "ingest dead-letter queue" in (record.error_message or "")
    result = pipeline.objects.get_json(pipeline.output_bucket, f"{RESULTS_PREFIX}{document_id}.json")
    assert (result["status"], result["error_code"]) == ("FAILED", "DEAD_LETTERED")
    assert _visible(dlq) == [body]
    assert _sweep(monkeypatch)["dead_lettered"] == 0


def test_a_dead_letter_of_an_earlier_run_leaves_a_reprocessed_document_alone(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = _document(pipeline, 7, DocumentStatus.ENRICHING, age_s=0, run=2)
    old = {"document_id": document.document_id, "chapter_index": 0, "chapter_key": "k", "profile": "default"}
    _dead_letter(env, "enrich", json.dumps({**old, "run": 1}))

    report = _sweep(monkeypatch)

    assert (report["dead_letters"], report["dead_lettered"]) == (1, 0)
    record = pipeline.documents.get(document.document_id)
    assert record is not None
    assert record.status == DocumentStatus.ENRICHING


def test_more_dead_letters_than_one_receive_returns_are_all_seen_and_all_stay(
    pipeline: Pipeline, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [_document(pipeline, 100 + n, DocumentStatus.VALIDATING, age_s=0) for n in range(23)]
    for document in documents:
        dlq = _dead_letter(env, "validate", json.dumps({"document_id": document.document_id}))

    report = _sweep(monkeypatch)

    assert (report["dead_letters"], report["dead_lettered"]) == (23, 23)
    assert {pipeline.documents.get(d.document_id).error_code for d in documents} == {"DEAD_LETTERED"}  # type: ignore[union-attr]
    sqs: Any = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "23"


@pytest.mark.parametrize(
    ("queue_key", "message", "expected"),
    [
        ("enrich", {"Body": json.dumps({"document_id": "a" * 32, "run": 3})}, ("a" * 32, 3)),
        ("validate", {"Body": json.dumps({"document_id": "b" * 32})}, ("b" * 32, None)),
        ("pages", {"Body": "not json"}, None),
        (
            "ingest",
            {
                "Body": json.dumps(
                    {
                        "Records": [
                            {
                                "s3": {
                                    "bucket": {"name": "in"},
                                    "object": {"key": f"incoming/{'c' * 32}/x.pdf"},
                                }
                            }
                        ]
                    }
                ),
                "MessageAttributes": {"reprocess_run": {"StringValue": "2", "DataType": "String"}},
            },
            ("c" * 32, 2),
        ),
    ],
)
def test_a_dead_letter_names_its_document_and_run(
    queue_key: str, message: dict[str, Any], expected: Any
) -> None:
    letter = dead_letter_of(queue_key, message)
    assert (letter and (letter.document_id, letter.run)) == expected
