"""The real chain over HTTP: moto's server, S3 notifications, the pollers, the handlers, the DLQs."""

import json
import math
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.local.session import RunOptions, run_local
from enhancer.pipeline import enrich as enrich_step
from enhancer.resources import function

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).resolve().parents[3] / "samples"
TIME_SCALE = 0.1


@pytest.fixture
def pdfs(tmp_path: Path) -> Path:
    if not (SAMPLES / "kubernetes-field-guide.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("kubernetes-field-guide.pdf", "annual-report.pdf"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / "notes.pdf").write_bytes(b"just text, not a PDF")
    (folder / "empty.pdf").write_bytes(b"")
    return folder


def _run(folder: Path, out: Path, endpoint: str, **kwargs: Any) -> dict[str, Any]:
    # A tenth of the deployed timeouts: a failed record comes back after its invocation's deadline.
    options = RunOptions(out_dir=out, endpoint_url=endpoint, stage=out.name, time_scale=TIME_SCALE, **kwargs)
    summaries = run_local([folder], options)
    return {Path(s.file).name: s for s in summaries}


def test_several_pdfs_reach_their_documented_states(pdfs: Path, tmp_path: Path, aws_endpoint: str) -> None:
    by_name = _run(pdfs, tmp_path / "out", aws_endpoint, workers=3)

    assert by_name["kubernetes-field-guide.pdf"].status == "COMPLETED"
    assert by_name["annual-report.pdf"].status == "COMPLETED"
    assert (by_name["notes.pdf"].status, by_name["notes.pdf"].error_code) == ("FAILED", "NOT_A_PDF")
    assert (by_name["empty.pdf"].status, by_name["empty.pdf"].error_code) == ("FAILED", "EMPTY_FILE")
    result = json.loads((tmp_path / "out" / "kubernetes-field-guide.json").read_text())
    assert result["chapters"]
    assert all(c["status"] == "COMPLETED" for c in result["chapters"])


def test_a_handler_that_raises_mid_batch_is_retried_and_the_document_completes(
    pdfs: Path, tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = enrich_step.enrich_chapter
    raised: list[int] = []

    def crash_once(pipeline: Any, provider: Any, message: Any, *, final_attempt: bool) -> Any:
        if message.chapter_index == 1 and not raised:
            raised.append(message.chapter_index)
            raise RuntimeError("simulated crash")
        return original(pipeline, provider, message, final_attempt=final_attempt)

    monkeypatch.setattr("enhancer.pipeline.enrich.enrich_chapter", crash_once)
    (pdfs / "annual-report.pdf").unlink()

    by_name = _run(pdfs, tmp_path / "out", aws_endpoint)

    assert raised == [1]
    assert by_name["kubernetes-field-guide.pdf"].status == "COMPLETED"


def test_a_poison_message_lands_in_the_dlq_and_the_document_is_marked_failed(
    pdfs: Path, tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def always_crash(pipeline: Any, provider: Any, message: Any, **_: Any) -> Any:
        attempts.append(message.document_id)
        raise RuntimeError("poison")

    monkeypatch.setattr("enhancer.pipeline.validate.validate_document", always_crash)
    for name in ("annual-report.pdf", "notes.pdf", "empty.pdf"):
        (pdfs / name).unlink()

    by_name = _run(pdfs, tmp_path / "out", aws_endpoint)

    summary = by_name["kubernetes-field-guide.pdf"]
    assert (summary.status, summary.error_code) == ("FAILED", "INTERNAL")
    assert len(attempts) == 3  # maxReceiveCount, then the DLQ
    # The run ends once the document is FAILED; SQS moves the message to the DLQ on its next receive, once
    # its retry delay (the failed invocation's deadline: validate's 60 s x TIME_SCALE) has passed.
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint)
    queue_url = sqs.get_queue_url(QueueName="doc-enhancer-out-validate")["QueueUrl"]
    receives = math.ceil(function("validate").timeout_s * TIME_SCALE / 2) + 2
    redelivered = [
        sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2).get("Messages", [])
        for _ in range(receives)
    ]
    assert redelivered == [[]] * receives
    dlq_url = sqs.get_queue_url(QueueName="doc-enhancer-out-validate-dlq")["QueueUrl"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert (
        int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 1
    )
