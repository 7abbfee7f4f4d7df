"""The local event source mappings: one poller per queue feeding the real handlers, as Lambda would.

Each poller receives up to the queue's batch size, builds a real-shaped SQS event (attributes such as
``ApproximateReceiveCount`` included) and invokes the handler as its function: with the function's IAM role
(``enhancer.local.iam``), a context counting down from its timeout, and at most as many invocations at once
as the function's reserved concurrency allows (one at a time for functions without). It deletes only the
messages the handler did not report in ``batchItemFailures``.

What AWS does, and so this does too:
- An invocation that runs past its timeout is abandoned: its response is ignored, its messages are left
  alone and come back when the queue's visibility timeout (6 x the function timeout) runs out, and its
  concurrency slot is free again. Its thread may keep running (Python cannot kill it; that is what a frozen
  sandbox looks like to SQS), but its next AWS call raises ``InvocationAbandoned``, so nothing it does after
  its deadline reaches AWS.
- A failed record comes back no sooner than the deadline of the invocation that failed it (plus a second):
  everything that can block its retry on AWS — that invocation still running, or the in-progress
  idempotency record it leaves when its cleanup fails, which Powertools expires at the deadline — is over
  by then, so the retry sees what an AWS retry would see after the full visibility timeout, only sooner.
  ``retry_delay_s`` is a floor on top of that.

SQS itself moves a message to its DLQ after ``maxReceiveCount`` receives; the sweeper then ends its document
FAILED (and any stalled one), so no run hangs.
"""

import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from enhancer.local import iam
from enhancer.local.functions import invoke, publish, sqs_event
from enhancer.local.limits import LocalLimits
from enhancer.models import DocumentStatus
from enhancer.observability import logger
from enhancer.resources import QUEUES, QueueSpec, function
from enhancer.storage import QueueClient

RETRY_MARGIN_S = 1  # past the deadline, so an in-progress idempotency record has expired


@dataclass
class PollerStats:
    invocations: int = 0
    failed_records: int = 0
    crashes: int = 0
    timeouts: int = 0
    max_concurrent: int = 0


class QueuePoller:
    """``workers``: the most invocations at once (the function's concurrency on Lambda)."""

    def __init__(
        self,
        spec: QueueSpec,
        queue_url: str,
        *,
        stop: threading.Event,
        workers: int = 1,
        retry_delay_s: int = 1,
        invoker: Callable[[str, dict[str, Any]], dict[str, Any]] = invoke,
        limits: LocalLimits | None = None,
    ) -> None:
        self.spec = spec
        self.url = queue_url
        self.workers = max(1, workers)
        self.retry_delay_s = retry_delay_s
        self.limits = limits or LocalLimits()
        self.stats = PollerStats()
        self._stop = stop
        self._invoke = invoker
        self._sqs: Any = boto3.client("sqs")
        self._queues = QueueClient(self._sqs)
        self._arn = str(
            self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        )
        self._slots = threading.Semaphore(self.workers)
        self._running = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"{spec.key}-worker")
        self._thread = threading.Thread(target=self._poll, name=f"{spec.key}-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _poll(self) -> None:
        # Its own keys for its lines: Powertools puts each invocation's context on the logger all threads
        # share, so a poller's "receive failed" would otherwise name whichever function ran last.
        logger.thread_safe_append_keys(
            function_name=f"event-source-mapping-{self.spec.key}",
            function_arn=None,
            function_request_id=None,
            function_memory_size=None,
        )
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                messages = self._queues.receive(self.url, max_messages=self.spec.batch_size, wait_s=1)
            except Exception:
                self._slots.release()
                logger.exception("receive failed", extra={"queue": self.spec.key})
                self._stop.wait(1)
                continue
            if not messages:
                self._slots.release()
                continue
            self._pool.submit(self._run_batch, messages)

    def _run_batch(self, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            self._running += 1
            self.stats.max_concurrent = max(self.stats.max_concurrent, self._running)
        try:
            self.stats.invocations += 1
            invocation = iam.Invocation.of(
                self.spec.consumer, timeout_s=self.limits.timeout_s(self.spec.consumer)
            )
            finished, response = self._invoke_until_deadline(invocation, sqs_event(messages, self._arn))
            if not finished:
                self.stats.timeouts += 1
                logger.error(
                    "invocation timed out; its messages come back after the visibility timeout",
                    extra={"queue": self.spec.key, "timeout_s": invocation.timeout_s},
                )
                return
            failed_ids = {m["MessageId"] for m in messages}
            if response is None:  # a crashed invocation fails the whole batch, as on Lambda
                self.stats.crashes += 1
            else:
                failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            self.stats.failed_records += len(failed_ids)
            done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in failed_ids]
            if done:
                self._queues.delete(self.url, done)
            delay = max(
                self.retry_delay_s, math.ceil(invocation.deadline - time.monotonic()) + RETRY_MARGIN_S
            )
            for message in messages:
                if message["MessageId"] in failed_ids:
                    self._retry_after(message["ReceiptHandle"], delay)
        except Exception:
            logger.exception("poller batch bookkeeping failed", extra={"queue": self.spec.key})
        finally:
            with self._lock:
                self._running -= 1
            self._slots.release()

    def _invoke_until_deadline(
        self, invocation: iam.Invocation, event: dict[str, Any]
    ) -> tuple[bool, dict[str, Any] | None]:
        """(finished in time, the response or None if it raised), running the invocation in its own thread
        so that one past its deadline can be left behind."""
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def run() -> None:
            try:
                with iam.starting(invocation):
                    outcome["response"] = self._invoke(self.spec.consumer, event)
            except iam.InvocationAbandoned:
                pass
            except Exception:
                if not invocation.abandoned.is_set():
                    logger.exception(
                        "handler crashed; the batch will be retried", extra={"queue": self.spec.key}
                    )
            finally:
                finished.set()

        thread = threading.Thread(target=run, name=f"{self.spec.consumer}-invocation", daemon=True)
        thread.start()
        if not finished.wait(max(0.0, invocation.deadline - time.monotonic())):
            invocation.abandoned.set()
            return False, None
        return True, outcome.get("response")

    def _retry_after(self, receipt_handle: str, delay_s: int) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_s
            )
        except Exception:  # the message reappears after the full visibility timeout instead
            logger.warning("could not set the retry delay", extra={"queue": self.spec.key})


class LocalSweeper:
    """Invokes the sweeper function every ``interval_s``, as the stack's schedule does (every 5 minutes):
    documents whose message died end FAILED / DEAD_LETTERED, the message staying in its DLQ for
    ``doc-enhancer redrive``; stalled ones end FAILED / TIMED_OUT (``enhancer.pipeline.sweep``)."""

    def __init__(
        self,
        *,
        stop: threading.Event,
        interval_s: float = 1.0,
        invoker: Callable[[str, dict[str, Any]], dict[str, Any]] = invoke,
    ) -> None:
        self.interval_s = interval_s
        self.sweeps = 0
        self.totals: dict[str, int] = {}
        self._stop = stop
        self._invoke = invoker
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def sweep_once(self) -> dict[str, int]:
        report = self._invoke("sweeper", scheduled_event())
        self.sweeps += 1
        for name, value in report.items():
            self.totals[name] = self.totals.get(name, 0) + int(value)
        return report

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep_once()
            except Exception:
                logger.exception("sweep failed; the next one retries")


def scheduled_event(region: str = "us-east-1") -> dict[str, Any]:
    """The event an EventBridge schedule rule sends its Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/doc-enhancer-local-sweep"],
        "detail": {},
    }


class LocalEventSources:
    """All pollers and the sweeper, started and stopped together."""

    def __init__(
        self,
        queue_urls: dict[str, str],
        *,
        enrich_workers: int,
        retry_delay_s: int = 1,
        sweep_interval_s: float | None = 1.0,
        limits: LocalLimits | None = None,
    ) -> None:
        """``enrich_workers``: MAX_WORKERS, the LLM budget (enrich's reserved concurrency on AWS).
        ``limits``: the function timeouts, deployed values unless a test shrinks them; the queues must have
        been provisioned with the same limits."""
        self.stop_event = threading.Event()
        self.limits = limits or LocalLimits()
        self.pollers = [
            QueuePoller(
                spec,
                queue_urls[spec.key],
                stop=self.stop_event,
                workers=LocalLimits.concurrency(spec, enrich_workers),
                retry_delay_s=retry_delay_s,
                limits=self.limits,
            )
            for spec in QUEUES
        ]
        # Dead letters stay in their DLQs (the sweep only reads them), as on AWS, for ``redrive``.
        self.sweeper = (
            LocalSweeper(stop=self.stop_event, interval_s=sweep_interval_s) if sweep_interval_s else None
        )

    def start(self) -> "LocalEventSources":
        # As deployed: a SnapStart consumer is published (initialised) before any message reaches it.
        for spec in QUEUES:
            if function(spec.consumer).snapstart:
                publish(spec.consumer)
        for poller in self.pollers:
            poller.start()
        if self.sweeper:
            self.sweeper.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for poller in self.pollers:
            poller.join(timeout=30)
        if self.sweeper:
            self.sweeper.join(timeout=30)


TERMINAL = frozenset({DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED})
