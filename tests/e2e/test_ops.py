"""The operator commands against a running local stack, as the runbook uses them."""

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from typer.testing import CliRunner

from enhancer.api.documents import s3_notification
from enhancer.cli.app import app
from enhancer.local.server import ServeOptions, ServingStack, serve_stack
from tests.e2e.test_serve import upload, wait_terminal

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
runner = CliRunner()


@pytest.fixture(scope="module")
def stack() -> Iterator[ServingStack]:
    with serve_stack(ServeOptions(port=0, provider="offline")) as running:
        yield running


@pytest.fixture
def cli(stack: ServingStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.endpoint_url)  # restored after the test
    return ["--endpoint-url", stack.endpoint_url]


def _pdf() -> bytes:
    pdf = SAMPLES / "research-paper.pdf"
    if not pdf.is_file():
        pytest.skip("samples/ not generated (make samples)")
    return pdf.read_bytes()


def test_health_status_and_list(stack: ServingStack, cli: list[str]) -> None:
    document_id = upload(stack.api_url, "listed.pdf", _pdf())
    wait_terminal(stack.api_url, document_id)
    result = runner.invoke(app, ["health", "--detailed", "--json", *cli])
    assert result.exit_code in (0, 3), result.output
    assert json.loads(result.stdout)["status"] in ("healthy", "degraded")
    result = runner.invoke(app, ["status", document_id, "--json", *cli])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "COMPLETED"
    result = runner.invoke(app, ["list", "--status", "COMPLETED", "--json", *cli])
    assert document_id in [d["document_id"] for d in json.loads(result.stdout)["items"]]
    result = runner.invoke(app, ["status", "0" * 32, *cli])
    assert result.exit_code == 1
    assert "no document" in result.stderr


def test_redrive_moves_dead_letters_back_and_they_are_processed(stack: ServingStack, cli: list[str]) -> None:
    # Given an uploaded PDF whose ingest notification sits in the ingest DLQ (as after three failures)
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
    # Under incoming/ (all the extract role may read) but without the .pdf suffix, so no S3 notification
    key = "incoming/redriven.pdf.parked"
    etag = s3.put_object(Bucket=stack.env["INPUT_BUCKET"], Key=key, Body=_pdf())["ETag"].strip('"')
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    dlq = sqs.get_queue_url(QueueName="doc-enhancer-local-ingest-dlq")["QueueUrl"]
    sqs.send_message(
        QueueUrl=dlq, MessageBody=s3_notification("us-east-1", stack.env["INPUT_BUCKET"], key, 1, etag)
    )
    # When the operator redrives it
    result = runner.invoke(app, ["redrive", "--queue", "ingest", *cli])
    # Then it is counted, the DLQ is empty and the document is processed. Either redrive read the message
    # first and moved it back, or the sweeper (every second) had already recorded the upload and ended it
    # FAILED / DEAD_LETTERED, and redrive reprocessed that document instead.
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        ("ingest: 1 message(s) moved", "ingest: 0 message(s) moved back from the dead-letter queue, 1 failed")
    ), result.stdout
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    from enhancer.pipeline.ids import document_id_for

    record = wait_terminal(stack.api_url, document_id_for(stack.env["INPUT_BUCKET"], key, etag))
    assert record["status"] == "COMPLETED"


def test_reprocess_runs_a_finished_document_again(stack: ServingStack, cli: list[str]) -> None:
    document_id = upload(stack.api_url, "again.pdf", _pdf())
    first = wait_terminal(stack.api_url, document_id)
    assert first["status"] == "COMPLETED"
    assert first["run"] == 0
    result = runner.invoke(app, ["reprocess", document_id, "--json", *cli])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"] == 1
    second = wait_terminal(stack.api_url, document_id)
    assert (second["status"], second["run"]) == ("COMPLETED", 1)
    assert second["chapters_done"] == first["chapters_done"]
    assert requests.get(f"{stack.api_url}/documents/{document_id}/result", timeout=10).status_code == 200


def test_unreachable_stack_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = runner.invoke(app, ["health", "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1
