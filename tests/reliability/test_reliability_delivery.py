"""At-least-once delivery and dying workers: duplicate SQS messages and S3 events, a worker that dies
mid-batch or outlives its visibility window, a poison message, the DLQ and ``doc-enhancer redrive``."""

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
from typer.testing import CliRunner

from enhancer.cli.app import app
from enhancer.fakellm import FakeLlmServer
from enhancer.local.functions import invoke
from enhancer.pipeline import validate as validate_step
from tests.reliability.harness import (
    DUPLICATE_ATTRIBUTE,
    MARKS,
    DuplicatingInvoker,
    RecordingInvoker,
    Stack,
    by_document,
    local_stack,
    normalised,
    sample_bytes,
    sized,
    small_pdf,
)

pytestmark = MARKS

OPENAI = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-fake-reliability"}
runner = CliRunner()


def _inputs(generated: int) -> dict[str, bytes]:
    files = sample_bytes("kubernetes-field-guide.pdf", "research-paper.pdf")
    files.update({f"generated-{n}.pdf": small_pdf(n) for n in range(generated)})
    return files


def _run(stack: Stack, files: dict[str, bytes], *, times: int = 1) -> dict[str, dict[str, Any]]:
    """Upload, wait until terminal, check nothing is lost or doubled; results by file name."""
    names = {stack.upload(name, body, times=times): name for name, body in files.items()}
    stack.wait_terminal(list(names))
    return {names[doc]: result for doc, result in stack.assert_accounted_for().items()}


def _wait_until(condition: Any, what: str, *, limit_s: float = 90.0) -> None:
    """Bounds a hung run; never a timing assertion."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _queues_empty(stack: Stack) -> bool:
    import boto3

    sqs: Any = boto3.client("sqs")
    for key in ("ingest", "enrich", "validate"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.queue_url(key),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        ):
            return False
    return True


def test_every_message_delivered_twice_gives_the_results_of_a_clean_run(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _inputs(sized(4, 40))
    with local_stack(monkeypatch, aws_endpoint, "clean", env=OPENAI) as stack:
        clean = _run(stack, files)

    # Given every S3 event sent twice (the same object put twice) and every SQS message delivered twice
    duplicating = DuplicatingInvoker()
    with local_stack(monkeypatch, aws_endpoint, "twice", env=OPENAI, invoker=duplicating) as stack:
        twice = _run(stack, files, times=2)
        # late copies (still queued when the last document finished) are handled too, and change nothing
        _wait_until(lambda: _queues_empty(stack), "the duplicate copies to drain")
        assert {doc: normalised(stack.result(doc)) for doc in stack.uploaded} == {
            doc: normalised(twice[stack.uploaded[doc].rsplit("/", 1)[-1]]) for doc in stack.uploaded
        }
        document_ids = set(stack.uploaded)

    # Then the results are those of the clean run, and the fan-in queued exactly one validation each
    assert {name: normalised(r) for name, r in twice.items()} == {
        name: normalised(r) for name, r in clean.items()
    }
    assert by_document(duplicating.originals("validate")) == Counter(dict.fromkeys(document_ids, 1))
    s3_events = [r for r in duplicating.originals("extract") if "s3:TestEvent" not in r["body"]]
    assert len(s3_events) == 2 * len(files)  # two S3 events per document
    copies = {
        r["body"] for r in duplicating.records["enrich"] if DUPLICATE_ATTRIBUTE in r["messageAttributes"]
    }
    assert copies == {r["body"] for r in duplicating.originals("enrich")}  # every chapter message came twice


class DyingWorker(RecordingInvoker):
    """The first ``deaths`` enrich batches of two or more records: half the batch is processed, then the
    worker dies (an exception out of the handler), so the whole batch is retried."""

    def __init__(self, deaths: int) -> None:
        super().__init__()
        self.deaths = deaths
        self.handled_then_died: list[str] = []
        self.never_handled: list[str] = []

    def __call__(self, function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        with self.lock:
            die = function_key == "enrich" and len(records) >= 2 and self.deaths > 0
            self.deaths -= int(die)
        if not die:
            return super().__call__(function_key, event)
        half = len(records) // 2
        super().__call__(function_key, {"Records": records[:half]})
        self.handled_then_died += [r["messageId"] for r in records[:half]]
        self.never_handled += [r["messageId"] for r in records[half:]]
        raise RuntimeError("worker died mid-batch")


class HangingWorker(RecordingInvoker):
    """The first ``hangs`` enrich batches outlive the visibility timeout and are then killed (Lambda's
    timeout): their messages reappear on their own and another worker takes them."""

    def __init__(self, hangs: int, hang_s: float) -> None:
        super().__init__()
        self.hangs = hangs
        self.hang_s = hang_s
        self.hung: list[str] = []

    def __call__(self, function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            hang = function_key == "enrich" and self.hangs > 0
            self.hangs -= int(hang)
        if not hang:
            return super().__call__(function_key, event)
        self.hung += [r["messageId"] for r in event["Records"]]
        time.sleep(self.hang_s)
        raise TimeoutError("Task timed out")


def test_a_worker_that_dies_mid_batch_loses_nothing(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = DyingWorker(deaths=3)
    with local_stack(monkeypatch, aws_endpoint, "dying", env=OPENAI, invoker=worker) as stack:
        results = _run(stack, _inputs(sized(3, 30)))
        crashes = stack.pollers["enrich"].stats.crashes

    assert worker.deaths == 0
    assert crashes == 3
    assert {r["status"] for r in results.values()} == {"COMPLETED"}
    seen = Counter(r["messageId"] for r in worker.records["enrich"])
    # every message of a dead batch came back, the ones already handled included
    assert worker.handled_then_died
    assert all(seen[m] >= 2 for m in worker.handled_then_died)
    assert worker.never_handled
    assert all(seen[m] >= 1 for m in worker.never_handled)


def test_a_worker_that_outlives_its_visibility_timeout_is_replaced(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 3 s visibility timeout and two enrich batches that hang for 5 s and are then killed
    worker = HangingWorker(hangs=2, hang_s=5.0)
    with local_stack(
        monkeypatch, aws_endpoint, "hanging", env=OPENAI, invoker=worker, visibility_timeout_s=3
    ) as stack:
        results = _run(stack, _inputs(sized(2, 20)))

    # Then their messages were received again (by another worker) and every document completed
    assert len(worker.hung) >= 2
    redelivered = {
        r["messageId"]
        for r in worker.records["enrich"]
        if int(r["attributes"]["ApproximateReceiveCount"]) >= 2
    }
    assert set(worker.hung) <= redelivered
    assert {r["status"] for r in results.values()} == {"COMPLETED"}


class PoisonedValidate:
    """The validate worker dies on any batch holding a poisoned document, until the cause is fixed."""

    def __init__(self) -> None:
        self.poisoned: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        if function_key == "validate":
            documents = {json.loads(r["body"])["document_id"] for r in event["Records"]}
            with self.lock:
                if documents & self.poisoned:
                    raise RuntimeError("poison: the validate worker dies on this document")
        return invoke(function_key, event)


def _redrive(stack: Stack, queue: str) -> str:
    result = runner.invoke(
        app, ["redrive", "--queue", queue, "--endpoint-url", stack.endpoint, "--stage", stack.stage]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_poison_message_reaches_the_dlq_and_redrive_completes_it_once_fixed(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a validate worker that dies every time it meets one document (the sweeper runs, as on AWS)
    worker = PoisonedValidate()
    with local_stack(monkeypatch, aws_endpoint, "poison", env=OPENAI, invoker=worker) as stack:
        body = sample_bytes("research-paper.pdf")["research-paper.pdf"]
        worker.poisoned.add(stack.upload("research-paper.pdf", body))
        healthy = stack.upload("generated-0.pdf", small_pdf(0))
        (poisoned,) = worker.poisoned
        # When it has failed maxReceiveCount times
        _wait_until(lambda: stack.dlq_depth("validate") == 1, "the poison message in the validate DLQ")
        # Then the sweeper ends its document FAILED / DEAD_LETTERED (result JSON included), the others
        # finish, and the message stays in the DLQ, where the operator sees it: the DLQ depth (the 'any DLQ
        # message' alarm) and a degraded health check
        assert stack.wait_terminal([healthy])[healthy].value == "COMPLETED"
        assert stack.wait_terminal([poisoned])[poisoned].value == "FAILED"
        record = stack.pipeline.documents.get(poisoned)
        assert record is not None
        assert record.error_code == "DEAD_LETTERED"
        assert stack.result(poisoned)["error_code"] == "DEAD_LETTERED"
        assert stack.pollers["validate"].stats.crashes == 3
        assert stack.dlq_depth("validate") == 1
        health = runner.invoke(
            app, ["health", "--detailed", "--json", "--endpoint-url", stack.endpoint, "--stage", stack.stage]
        )
        assert health.exit_code == 3, health.output
        checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
        assert checks["validate-dlq"]["status"] == "degraded"

        # When the cause is fixed and the operator redrives the DLQ
        with worker.lock:
            worker.poisoned.clear()
        output = _redrive(stack, "validate")

        # Then the FAILED document is reprocessed, completes, and nothing is left dead-lettered
        assert (
            "validate: 0 message(s) moved back from the dead-letter queue, 1 failed document(s) reprocessed"
            in (" ".join(output.split()))
        )
        assert stack.wait_terminal([poisoned])[poisoned].value == "COMPLETED"
        record = stack.pipeline.documents.get(poisoned)
        assert record is not None
        assert (record.run, record.error_code) == (1, None)
        assert stack.dlq_depth("validate") == 0
        stack.assert_accounted_for()


def test_a_step_that_keeps_failing_is_failed_with_a_metric_and_recoverable_by_the_operator(
    aws_endpoint: str,
    fake_llm: FakeLlmServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a validate step that raises on every attempt (a record-level failure, not a dead worker)
    broken = threading.Event()
    broken.set()
    original = validate_step.validate_document

    def flaky_validate(*args: Any, **kwargs: Any) -> Any:
        if broken.is_set():
            raise RuntimeError("validation bug")
        return original(*args, **kwargs)

    monkeypatch.setattr("enhancer.pipeline.validate.validate_document", flaky_validate)
    env = {**OPENAI, "POWERTOOLS_METRICS_DISABLED": "false"}  # real EMF lines on stdout
    with local_stack(monkeypatch, aws_endpoint, "stepfail", env=env) as stack:
        document_id = stack.upload("generated-1.pdf", small_pdf(1))
        # When its last retry fails: the document ends FAILED (INTERNAL), the message goes to the DLQ
        status = stack.wait_terminal([document_id])[document_id]
        _wait_until(lambda: stack.dlq_depth("validate") == 1, "the message in the validate DLQ")
        record = stack.pipeline.documents.get(document_id)
        assert record is not None
        assert (status.value, record.error_code) == ("FAILED", "INTERNAL")
        # Then an alarm-worthy metric went out as EMF
        emitted = [
            json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
        ]
        assert sum(sum(e.get("DocumentsFailed", [])) for e in emitted if "DocumentsFailed" in e) >= 1

        # When the bug is fixed and the operator redrives: FAILED is terminal, so the message is not sent
        # back; its document is reprocessed instead (see README: Reliability) and completes
        broken.clear()
        assert "1 failed document(s) reprocessed" in " ".join(_redrive(stack, "validate").split())
        assert stack.wait_terminal([document_id])[document_id].value == "COMPLETED"
        assert stack.dlq_depth("validate") == 0
        record = stack.pipeline.documents.get(document_id)
        assert record is not None
        assert record.run == 1
        stack.assert_accounted_for()
