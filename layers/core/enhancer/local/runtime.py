"""The local event source mappings: one poller per queue feeding the real handlers, as Lambda would.

Each poller receives up to the queue's batch size, builds a real-shaped SQS event (attributes such as
``ApproximateReceiveCount`` included), invokes the handler, deletes only the messages the handler did not
report in ``batchItemFailures``, and leaves the failed ones to reappear — after ``retry_delay_s`` instead of
the full visibility timeout, so local retries take a second. SQS itself moves a message to its DLQ after
``maxReceiveCount`` receives; the sweeper then ends its document FAILED (and any stalled one), so no run
hangs.
The enrich poller runs up to ``workers`` batches at once (the function's concurrency).
"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from enhancer.local.functions import invoke, sqs_event
from enhancer.models import DocumentStatus
from enhancer.observability import logger
from enhancer.resources import QUEUES, QueueSpec
from enhancer.storage import QueueClient


@dataclass
class PollerStats:
    invocations: int = 0
    failed_records: int = 0
    crashes: int = 0


class QueuePoller:
    def __init__(
        self,
        spec: QueueSpec,
        queue_url: str,
        *,
        stop: threading.Event,
        workers: int = 1,
        retry_delay_s: int = 1,
        invoker: Callable[[str, dict[str, Any]], dict[str, Any]] = invoke,
    ) -> None:
        self.spec = spec
        self.url = queue_url
        self.workers = max(1, workers)
        self.retry_delay_s = retry_delay_s
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
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"{spec.key}-worker")
        self._thread = threading.Thread(target=self._poll, name=f"{spec.key}-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _poll(self) -> None:
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
        try:
            self.stats.invocations += 1
            failed_ids = {m["MessageId"] for m in messages}
            try:
                response = self._invoke(self.spec.consumer, sqs_event(messages, self._arn))
                failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            except Exception:  # a crashed invocation fails the whole batch, as on Lambda
                self.stats.crashes += 1
                logger.exception("handler crashed; the batch will be retried", extra={"queue": self.spec.key})
            self.stats.failed_records += len(failed_ids)
            done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in failed_ids]
            if done:
                self._queues.delete(self.url, done)
            for message in messages:
                if message["MessageId"] in failed_ids:
                    self._retry_soon(message["ReceiptHandle"])
        except Exception:
            logger.exception("poller batch bookkeeping failed", extra={"queue": self.spec.key})
        finally:
            self._slots.release()

    def _retry_soon(self, receipt_handle: str) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=self.retry_delay_s
            )
        except Exception:  # the message reappears after the full visibility timeout instead
            logger.warning("could not shorten the retry delay", extra={"queue": self.spec.key})


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
    ) -> None:
        self.stop_event = threading.Event()
        self.pollers = [
            QueuePoller(
                spec,
                queue_urls[spec.key],
                stop=self.stop_event,
                workers=enrich_workers if spec.key == "enrich" else 1,
                retry_delay_s=retry_delay_s,
            )
            for spec in QUEUES
        ]
        # Dead letters stay in their DLQs (the sweep only reads them), as on AWS, for ``redrive``.
        self.sweeper = (
            LocalSweeper(stop=self.stop_event, interval_s=sweep_interval_s) if sweep_interval_s else None
        )

    def start(self) -> "LocalEventSources":
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
