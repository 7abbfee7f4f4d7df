"""Under ``doc-enhancer serve``, as on AWS: a document whose message died ends FAILED / DEAD_LETTERED, the
message stays in its DLQ, and ``doc-enhancer redrive`` brings the document to COMPLETED."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from enhancer.cli.app import app
from enhancer.local.server import ServeOptions, ServingStack, serve_stack
from enhancer.models import DocumentRecord, DocumentStatus
from enhancer.pipeline.ids import document_id_for
from enhancer.storage import DocumentStore
from enhancer.storage.documents import utcnow
from tests.e2e.test_serve import wait_terminal

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
runner = CliRunner()


@pytest.fixture(scope="module")
def stack() -> Iterator[ServingStack]:
    with serve_stack(ServeOptions(port=0, provider="offline")) as running:
        yield running


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 60  # bounds a hung stack; not a timing assertion
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_a_dead_lettered_document_fails_with_its_code_and_redrive_completes_it(
    stack: ServingStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = SAMPLES / "research-paper.pdf"
    if not pdf.is_file():
        pytest.skip("samples/ not generated (make samples)")
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.endpoint_url)
    endpoint = stack.endpoint_url
    # Given a document VALIDATING whose validate message died (as after three crashed invocations)
    bucket = stack.env["INPUT_BUCKET"]
    s3: Any = boto3.client("s3", endpoint_url=endpoint)
    key = "parked/dead-lettered.pdf"
    etag = s3.put_object(Bucket=bucket, Key=key, Body=pdf.read_bytes())["ETag"].strip('"')
    document_id = document_id_for(bucket, key, etag)
    now = utcnow()
    documents = DocumentStore(
        stack.env["DOCUMENTS_TABLE"], client=boto3.client("dynamodb", endpoint_url=endpoint)
    )
    documents.create_if_absent(
        DocumentRecord(
            document_id=document_id,
            status=DocumentStatus.VALIDATING,
            profile="default",
            source_bucket=bucket,
            source_key=key,
            source_etag=etag,
            created_at=now,
            updated_at=now,
        )
    )
    sqs: Any = boto3.client("sqs", endpoint_url=endpoint)
    dlq = sqs.get_queue_url(QueueName="doc-enhancer-local-validate-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=f'{{"document_id": "{document_id}"}}')

    # When the sweeper (running under serve, as on AWS) sees it
    record = wait_terminal(stack.api_url, document_id)

    # Then the document is FAILED / DEAD_LETTERED and the message is still in the DLQ for redrive
    assert (record["status"], record["error_code"]) == ("FAILED", "DEAD_LETTERED")

    def depth() -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=names)["Attributes"]
        return sum(int(attributes[n]) for n in names)

    assert depth() == 1

    # When the operator redrives
    result = runner.invoke(app, ["redrive", "--queue", "validate", "--json", "--endpoint-url", endpoint])

    # Then the document is reprocessed to COMPLETED and the DLQ is empty
    assert result.exit_code == 0, result.output
    assert '"reprocessed": 1' in result.stdout
    _until(lambda: documents.get(document_id).run == 1, "the reprocess")  # type: ignore[union-attr]
    final = wait_terminal(stack.api_url, document_id)
    assert (final["status"], final["run"], final["error_code"]) == ("COMPLETED", 1, None)
    assert depth() == 0
