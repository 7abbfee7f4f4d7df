"""Lambda's limits, kept by the local runtime: timeouts, the remaining time, retry delays, concurrency."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from enhancer.local import functions, iam
from enhancer.local.functions import invoke
from enhancer.local.limits import LocalLimits
from enhancer.local.provision import provision
from enhancer.local.runtime import LocalEventSources, QueuePoller
from enhancer.resources import QUEUES, TABLE_DATA_ACTIONS, queue
from tests.reliability.harness import RecordingInvoker, local_stack, small_pdf

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:No application metrics")]


@contextmanager
def _poller(spec_key: str, limits: LocalLimits, invoker: Any, **kwargs: Any) -> Iterator[QueuePoller]:
    env = provision("lambda", limits=limits)
    stop = threading.Event()
    poller = QueuePoller(
        queue(spec_key), env[queue(spec_key).env_var], stop=stop, invoker=invoker, limits=limits, **kwargs
    )
    poller.start()
    try:
        yield poller
    finally:
        stop.set()
        poller.join(timeout=30)


def _send(url: str, count: int = 1) -> None:
    sqs: Any = boto3.client("sqs")
    for n in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))


def _until(condition: Any, limit_s: float = 60.0) -> None:
    """Wait for ``condition`` (not a timed assertion: it only ends a test that stopped moving)."""
    end = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < end, "the runtime stopped moving"
        time.sleep(0.05)


def test_a_handler_sees_its_remaining_time_count_down_from_the_timeout(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(context.get_remaining_time_in_millis())
        time.sleep(0.2)
        seen.append(context.get_remaining_time_in_millis())
        return {"batchItemFailures": []}

    monkeypatch.setattr(functions, "load_handler_module", lambda key: SimpleNamespace(lambda_handler=handler))
    with iam.starting(iam.Invocation.of("validate", timeout_s=5)):
        invoke("validate", {"Records": []})
    assert 0 < seen[1] < seen[0] <= 5000
    assert seen[0] - seen[1] >= 200


def test_an_invocation_past_its_timeout_is_abandoned_and_its_message_returns_after_the_visibility_timeout(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given validate with a 1 s timeout (so a 6 s visibility timeout) and a first invocation that runs 2 s
    limits = LocalLimits(timeouts_s={"validate": 1})
    late_call: list[BaseException] = []
    received: list[tuple[float, int]] = []
    slow = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not slow.is_set():
            slow.set()
            time.sleep(2)
            try:  # after its deadline: on Lambda this sandbox is frozen, nothing reaches AWS
                boto3.client("sqs").list_queues()
            except BaseException as exc:
                late_call.append(exc)
                raise
        return {"batchItemFailures": [], "late": True}

    def invoker(key: str, event: dict[str, Any]) -> dict[str, Any]:
        received.extend(
            (time.monotonic(), int(r["attributes"]["ApproximateReceiveCount"])) for r in event["Records"]
        )
        return invoke(key, event)

    monkeypatch.setattr(functions, "load_handler_module", lambda key: SimpleNamespace(lambda_handler=handler))
    with _poller("validate", limits, invoker, workers=2) as poller:
        _send(poller.url)
        _until(lambda: len(received) >= 2)
        _until(lambda: poller.stats.invocations >= 2 and not poller._running)

    # Then the first invocation was abandoned (its result ignored, its late AWS call refused) and the message
    # was received again only once its visibility timeout had run out, then handled
    assert poller.stats.timeouts == 1
    assert [count for _, count in received] == [1, 2]
    assert received[1][0] - received[0][0] >= limits.visibility_timeout_s(queue("validate")) - 0.5
    assert late_call
    assert isinstance(late_call[0], iam.InvocationAbandoned)


def test_a_failed_record_comes_back_after_the_deadline_of_the_invocation_that_failed_it(
    aws_endpoint: str,
) -> None:
    limits = LocalLimits(timeouts_s={"validate": 3})
    received: list[tuple[float, int]] = []

    def invoker(key: str, event: dict[str, Any]) -> dict[str, Any]:
        record = event["Records"][0]
        received.append((time.monotonic(), int(record["attributes"]["ApproximateReceiveCount"])))
        first = record["attributes"]["ApproximateReceiveCount"] == "1"
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}] if first else []}

    with _poller("validate", limits, invoker) as poller:
        _send(poller.url)
        _until(lambda: len(received) >= 2)

    # Not after 1 s: no sooner than the failed invocation's deadline (anything that could block its retry
    # on AWS, e.g. the in-progress idempotency record it left, has expired by then)
    assert [count for _, count in received] == [1, 2]
    assert received[1][0] - received[0][0] >= 3


def test_concurrent_invocations_are_bounded_by_the_reserved_concurrency(aws_endpoint: str) -> None:
    # enrich's reserved concurrency is MAX_WORKERS, the deployed event source's max_concurrency equals it
    assert LocalLimits.concurrency(queue("enrich"), 3) == 3
    assert {LocalLimits.concurrency(q, 3) for q in QUEUES if q.key != "enrich"} == {1}
    running, peak, lock = 0, 0, threading.Lock()
    handled: list[str] = []

    def invoker(key: str, event: dict[str, Any]) -> dict[str, Any]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.3)
        with lock:
            running -= 1
            handled.extend(r["messageId"] for r in event["Records"])
        return {"batchItemFailures": []}

    limits = LocalLimits()
    with _poller("enrich", limits, invoker, workers=LocalLimits.concurrency(queue("enrich"), 3)) as poller:
        _send(poller.url, 40)
        _until(lambda: len(handled) == 40)
    assert peak <= 3
    assert poller.stats.max_concurrent <= 3


def test_event_sources_take_their_concurrency_from_the_resources(aws_endpoint: str) -> None:
    env = provision("sources")
    sources = LocalEventSources(
        {q.key: env[q.env_var] for q in QUEUES}, enrich_workers=5, sweep_interval_s=None
    )
    assert {p.spec.key: p.workers for p in sources.pollers} == {
        "ingest": 1,
        "pages": 1,
        "enrich": 5,
        "validate": 1,
    }


def test_an_in_progress_idempotency_record_left_by_a_failed_step_does_not_burn_the_retries(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a step fails and its idempotency record cannot be deleted; on AWS the visibility timeout
    outlasts the in-progress record, so the retry runs the step. Locally too, now."""
    import enhancer.pipeline.enrich as enrich_step

    original_enrich = enrich_step.enrich_chapter
    original_of = iam.Invocation.of
    failed: list[int] = []

    def fail_once(pipeline: Any, provider: Any, message: Any, *, final_attempt: bool) -> Any:
        if not failed:
            failed.append(message.chapter_index)
            raise RuntimeError("the step fails once")
        return original_enrich(pipeline, provider, message, final_attempt=final_attempt)

    def first_cannot_delete(function_key: str, *, timeout_s: float) -> iam.Invocation:
        invocation = original_of(function_key, timeout_s=timeout_s)
        if function_key == "enrich" and not failed:  # the failing invocation cannot delete its record
            idempotency = [s for s in invocation.statements if s.resources[0].endswith("-idempotency")]
            others = [s for s in invocation.statements if s not in idempotency]
            invocation.statements = others + [
                s.model_copy(
                    update={"actions": tuple(a for a in TABLE_DATA_ACTIONS if a != "dynamodb:DeleteItem")}
                )
                for s in idempotency
            ]
        return invocation

    monkeypatch.setattr(enrich_step, "enrich_chapter", fail_once)
    monkeypatch.setattr(iam.Invocation, "of", staticmethod(first_cannot_delete))
    recorder = RecordingInvoker()
    env = {"LLM_PROVIDER": "offline"}
    with local_stack(
        monkeypatch, aws_endpoint, "inprogress", env=env, invoker=recorder, time_scale=0.05
    ) as stack:
        document_id = stack.upload("one.pdf", small_pdf(11, chapters=2))
        statuses = stack.wait_terminal([document_id])
        dead = stack.dlq_depth("enrich")

    assert failed
    assert statuses[document_id].value == "COMPLETED"
    assert dead == 0
    counts = [int(r["attributes"]["ApproximateReceiveCount"]) for r in recorder.records["enrich"]]
    assert max(counts) == 2  # one failure, one retry that ran the step: no receive burnt on in-progress
