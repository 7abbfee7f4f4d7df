"""Every route and error of the api function, with real-shaped API Gateway events over in-process moto."""

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from enhancer.api import app as api_app
from enhancer.api import documents as documents_logic
from enhancer.models import DocumentRecord, DocumentResult, DocumentStatus, SourceInfo
from enhancer.pipeline.keys import result_key
from enhancer.resources import QUEUES
from enhancer.storage import DocumentStore
from tests.unit.api.conftest import SAMPLE_ID, Call, api_event


def _seed(env: dict[str, str], status: DocumentStatus, document_id: str = SAMPLE_ID, **extra: Any) -> None:
    now = datetime.now(UTC)
    key = f"incoming/{document_id}/report.pdf"
    boto3.client("s3").put_object(Bucket=env["INPUT_BUCKET"], Key=key, Body=b"%PDF-1.7 fake")
    record = DocumentRecord(
        document_id=document_id,
        status=status,
        profile="default",
        source_bucket=env["INPUT_BUCKET"],
        source_key=key,
        created_at=now,
        updated_at=now,
        **extra,
    )
    assert DocumentStore(env["DOCUMENTS_TABLE"]).create_if_absent(record)


def _seed_result(env: dict[str, str], document_id: str = SAMPLE_ID) -> None:
    result = DocumentResult(
        document_id=document_id,
        source=SourceInfo(bucket=env["INPUT_BUCKET"], key="incoming/x.pdf", size_bytes=10, sha256="ab"),
        status=DocumentStatus.COMPLETED,
        profile="default",
        created_at=datetime.now(UTC),
    )
    boto3.client("s3").put_object(
        Bucket=env["OUTPUT_BUCKET"], Key=result_key(document_id), Body=result.model_dump_json().encode()
    )
    _seed(env, DocumentStatus.COMPLETED, document_id, result_key=result_key(document_id))


def test_health_is_healthy(call: Call) -> None:
    status, body = call(api_event("get_health.json"))
    assert status == 200
    assert body["status"] == "healthy"
    assert datetime.fromisoformat(body["timestamp"])


def test_detailed_health_checks_every_dependency(call: Call) -> None:
    status, body = call(api_event("get_health_detailed.json"))
    assert status == 200
    assert body["status"] == "healthy"
    kinds = [c["kind"] for c in body["checks"]]
    names = {c["name"] for c in body["checks"]}
    assert kinds.count("queue") == kinds.count("dead_letter_queue") == len(QUEUES)  # pages included
    assert {"pages", "pages-dlq"} | {spec.key for spec in QUEUES} <= names
    assert {"table", "bucket", "provider", "error_rate"} <= set(kinds)
    assert all(c["latency_ms"] >= 0 for c in body["checks"])


def test_detailed_health_is_degraded_by_a_dead_letter(call: Call, aws: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="doc-enhancer-test-enrich-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    status, body = call(api_event("get_health_detailed.json"))
    assert status == 200
    assert body["status"] == "degraded"
    enrich_dlq = next(c for c in body["checks"] if c["name"] == "enrich-dlq")
    assert (enrich_dlq["status"], enrich_dlq["depth"]) == ("degraded", 1)


def test_detailed_health_reports_a_missing_key_without_any_value(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret")
    status, body = call(api_event("get_health_detailed.json"))
    assert (status, body["status"]) == (200, "degraded")
    provider = next(c for c in body["checks"] if c["kind"] == "provider")
    assert provider["details"]["openai_key_present"] is False
    assert provider["details"]["anthropic_key_present"] is True
    assert "sk-ant-very-secret" not in json.dumps(body)


def test_detailed_health_is_unhealthy_when_a_table_is_gone(call: Call, aws: dict[str, str]) -> None:
    boto3.client("dynamodb").delete_table(TableName=aws["DOCUMENTS_TABLE"])
    status, body = call(api_event("get_health_detailed.json"))
    assert (status, body["status"]) == (503, "unhealthy")
    table = next(c for c in body["checks"] if c["kind"] == "table")
    assert table["status"] == "unavailable"


def test_upload_ticket_points_into_incoming_with_the_id(call: Call, aws: dict[str, str]) -> None:
    status, body = call(api_event("post_documents.json"))
    assert status == 201
    assert len(body["document_id"]) == 32
    assert body["key"] == f"incoming/{body['document_id']}/annual-report.pdf"
    assert aws["INPUT_BUCKET"] in body["upload_url"]
    assert "content-type" in body["upload_url"].lower()  # signed header
    assert body["upload_headers"]["Content-Type"] == "application/pdf"
    assert body["expires_in"] > 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "notes.txt"}, 400, "NOT_A_PDF"),
        ({"filename": "a/b.pdf"}, 400, "INVALID_REQUEST"),
        ({}, 400, "INVALID_REQUEST"),
        ({"filename": "x.pdf", "profile": "no-such-profile"}, 400, "INVALID_REQUEST"),
        ({"filename": "x.pdf", "size_bytes": 10**12}, 413, "TOO_LARGE"),
        ({"filename": "x.pdf", "unexpected": 1}, 400, "INVALID_REQUEST"),
    ],
)
def test_bad_upload_requests(call: Call, body: dict[str, Any], status: int, code: str) -> None:
    got_status, got = call(api_event("post_documents.json", body=body))
    assert (got_status, got["error"]["code"]) == (status, code)
    assert set(got) == {"error"}
    assert set(got["error"]) == {"code", "message"}


def test_invalid_json_is_a_400(call: Call) -> None:
    status, body = call(api_event("post_documents.json", raw_body="{not json"))
    assert (status, body["error"]["code"]) == (400, "INVALID_REQUEST")


def test_get_document(call: Call, aws: dict[str, str]) -> None:
    _seed(aws, DocumentStatus.ENRICHING, chapter_count=3, chapters_done={0, 1})
    status, body = call(api_event("get_document.json"))
    assert status == 200
    assert (body["status"], body["chapters_done"], body["result_available"]) == ("ENRICHING", 2, False)


def test_unknown_document_and_bad_id(call: Call) -> None:
    assert call(api_event("get_document.json"))[0] == 404
    status, body = call(api_event("get_document.json", path="/documents/NOT-AN-ID"))
    assert (status, body["error"]["code"]) == (400, "INVALID_REQUEST")


def test_unknown_route_is_a_404(call: Call) -> None:
    status, body = call(api_event("get_health.json", path="/nowhere"))
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_result_inline_and_not_ready(call: Call, aws: dict[str, str]) -> None:
    _seed(aws, DocumentStatus.VALIDATING, "a" * 32)
    status, body = call(api_event("get_document_result.json", path=f"/documents/{'a' * 32}/result"))
    assert (status, body["error"]["code"]) == (409, "RESULT_NOT_READY")
    _seed_result(aws)
    status, body = call(api_event("get_document_result.json"))
    assert (status, body["document_id"], body["schema_version"]) == (200, SAMPLE_ID, "1.0")


def test_large_result_is_a_presigned_link(
    call: Call, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_result(aws)
    services = api_app.services()
    monkeypatch.setattr(
        api_app, "services", lambda: services.__class__(**{**vars(services), "inline_result_max_bytes": 10})
    )
    status, body = call(api_event("get_document_result.json"))
    assert status == 200
    assert body["size_bytes"] > 10
    assert result_key(SAMPLE_ID) in body["result_url"]


def test_list_paginates_with_an_opaque_token(call: Call, aws: dict[str, str]) -> None:
    ids = [f"{i:032x}" for i in range(1, 6)]
    for document_id in ids:
        _seed(aws, DocumentStatus.COMPLETED, document_id)
    seen: list[str] = []
    token: str | None = None
    for _ in range(5):
        query = {"status": "COMPLETED", "limit": "2", **({"next_token": token} if token else {})}
        status, body = call(api_event("list_documents.json", query=query))
        assert status == 200
        assert len(body["items"]) <= 2
        seen += [item["document_id"] for item in body["items"]]
        token = body["next_token"]
        if not token:
            break
    assert sorted(seen) == ids
    status, body = call(api_event("list_documents.json", query={"status": "FAILED", "next_token": "garbage"}))
    assert (status, body["error"]["code"]) == (400, "INVALID_REQUEST")
    status, body = call(api_event("list_documents.json", query={"status": "DONE"}))
    assert status == 400


def test_reprocess_refused_while_running(call: Call, aws: dict[str, str]) -> None:
    _seed(aws, DocumentStatus.ENRICHING)
    status, body = call(api_event("post_reprocess.json"))
    assert (status, body["error"]["code"]) == (409, "CONFLICT")


def test_reprocess_resets_and_queues_a_new_run(call: Call, aws: dict[str, str]) -> None:
    _seed(aws, DocumentStatus.FAILED, chapter_count=2, chapters_failed={0, 1})
    status, body = call(api_event("post_reprocess.json"))
    assert (status, body["status"], body["run"]) == (202, "RECEIVED", 1)
    record = DocumentStore(aws["DOCUMENTS_TABLE"]).get(SAMPLE_ID)
    assert record is not None
    assert (record.status, record.run, record.chapters_failed, record.chapter_count) == (
        DocumentStatus.RECEIVED,
        1,
        set(),
        None,
    )
    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws["INGEST_QUEUE_URL"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    ours = [m for m in messages if "reprocess_run" in m.get("MessageAttributes", {})]
    assert len(ours) == 1
    s3 = json.loads(ours[0]["Body"])["Records"][0]["s3"]
    assert s3["object"]["key"] == f"incoming/{SAMPLE_ID}/report.pdf"
    # a second request while it runs again is refused
    assert call(api_event("post_reprocess.json"))[0] == 409


def test_unexpected_errors_are_a_generic_500(call: Call, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals /var/task/x.py")

    monkeypatch.setattr(documents_logic, "get_document", boom)
    status, body = call(api_event("get_document.json"))
    assert (status, body["error"]["code"]) == (500, "INTERNAL")
    assert "secret" not in json.dumps(body)
