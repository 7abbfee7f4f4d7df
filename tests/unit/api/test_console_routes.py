"""The console's routes on the api function: static files, profiles, queues and redrive, stuck documents,
the eval report."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.local.functions import LocalContext, load_handler_module
from enhancer.models import DocumentRecord, DocumentStatus
from enhancer.storage import DocumentStore
from tests.unit.api.conftest import Call, api_event


def _raw(event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = load_handler_module("api").lambda_handler(
        event, LocalContext(function_name="t")
    )
    return response


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [("/", "text/html", '<main id="view"'), ("/console/console.js", "text/javascript", "textContent")],
)
def test_static_files_with_a_strict_content_security_policy(
    aws: dict[str, str], path: str, content_type: str, marker: str
) -> None:
    response = _raw(api_event("get_health.json", path=path))

    assert response["statusCode"] == 200
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    headers |= {k.lower(): ", ".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert headers["content-type"].startswith(content_type)
    assert "script-src 'self'" in headers["content-security-policy"]
    assert marker in response["body"]


def test_the_console_never_writes_html_from_data() -> None:
    script = (
        Path(__file__).resolve().parents[3] / "layers/core/enhancer/console/static/console.js"
    ).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script.replace("never through innerHTML", "")


def test_unknown_console_file_is_a_404(call: Call) -> None:
    status, body = call(api_event("get_health.json", path="/console/secrets.py"))
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


def test_profiles(call: Call) -> None:
    status, body = call(api_event("get_health.json", path="/profiles"))
    assert status == 200
    assert {"default", "technical_book"} <= set(body["profiles"])


def test_queue_depths_and_redrive(call: Call, aws: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="doc-enhancer-test-validate-dlq")["QueueUrl"]
    sqs.send_message(
        QueueUrl=dlq,
        MessageBody='{"document_id": "x"}',
        MessageAttributes={"run": {"DataType": "String", "StringValue": "2"}},
    )

    status, body = call(api_event("get_health.json", path="/operations/queues"))
    assert status == 200
    depths = {q["queue"]: q for q in body["queues"]}
    assert depths["validate"]["dead_letters"] == 1
    assert depths["ingest"]["dead_letters"] == 0

    status, moved = call(
        api_event("get_health.json", method="POST", path="/operations/queues/validate/redrive")
    )
    assert (status, moved) == (200, {"queue": "validate", "moved": 1})
    back = sqs.receive_message(
        QueueUrl=aws["VALIDATE_QUEUE_URL"], MessageAttributeNames=["All"], WaitTimeSeconds=0
    )["Messages"]
    assert back[0]["Body"] == '{"document_id": "x"}'
    assert back[0]["MessageAttributes"]["run"]["StringValue"] == "2"

    status, body = call(api_event("get_health.json", method="POST", path="/operations/queues/nope/redrive"))
    assert status == 404
    assert "no queue 'nope'" in body["error"]["message"]


def test_stuck_documents_are_old_and_unfinished(call: Call, aws: dict[str, str]) -> None:
    store = DocumentStore(aws["DOCUMENTS_TABLE"])
    now = datetime.now(UTC)
    for document_id, status, age in [
        ("a" * 32, DocumentStatus.ENRICHING, timedelta(hours=2)),
        ("b" * 32, DocumentStatus.ENRICHING, timedelta(seconds=5)),
        ("c" * 32, DocumentStatus.COMPLETED, timedelta(hours=2)),
    ]:
        store.create_if_absent(
            DocumentRecord(
                document_id=document_id,
                status=status,
                profile="default",
                source_bucket="b",
                source_key=f"incoming/{document_id}/x.pdf",
                created_at=now - age,
                updated_at=now - age,
            )
        )

    status, body = call(
        api_event("get_health.json", path="/operations/stuck", query={"older_than_minutes": "30"})
    )

    assert status == 200
    assert [d["document_id"] for d in body["items"]] == ["a" * 32]


def test_eval_report_from_the_configured_file(
    call: Call, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, body = call(api_event("get_health.json", path="/console/eval-report"))
    assert status == 404
    assert "no eval report" in body["error"]["message"]

    report = tmp_path / "eval-report.json"
    report.write_text(json.dumps({"overall": {"chapter_f1": 1.0}, "documents": []}))
    monkeypatch.setenv("EVAL_REPORT", str(report))
    status, body = call(api_event("get_health.json", path="/console/eval-report"))
    assert (status, body["overall"]) == (200, {"chapter_f1": 1.0})
