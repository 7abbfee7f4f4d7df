"""The local event source mappings: one poller per queue feeding the real handlers, as Lambda would.

Each poller receives up to the queue's batch size, builds a real-shaped SQS event (attributes such as
``ApproximateReceiveCount`` included), invokes the handler, deletes only the messages the handler did not
report in ``batchItemFailures``, and leaves the failed ones to reappear — after ``retry_delay_s`` instead of
the full visibility timeout, so local retries take a second. SQS itself moves a message to its DLQ after
``maxReceiveCount`` receives; a watcher marks the document FAILED when that happens, so no run hangs.
The enrich poller runs up to ``workers`` batches at once (the function's concurrency).
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3

from enhancer.local.functions import invoke, sqs_event
from enhancer.models import DocumentStatus, ErrorCode
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.lifecycle import fail_document
from enhancer.pipeline.records import dead_letter_document_id
from enhancer.resources import QUEUES, QueueSpec
from enhancer.storage import QueueClient

DLQ_HIDE_S = 12 * 3600  # a dead letter we have handled stays in its DLQ, out of the watcher's sight


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


class DeadLetterWatcher:
    """Marks the document of every dead-lettered message FAILED (INTERNAL), leaving the message in place."""

    def __init__(self, pipeline: Pipeline, dlq_urls: dict[str, str], *, stop: threading.Event) -> None:
        self._pipeline = pipeline
        self._urls = dlq_urls
        self._stop = stop
        self._queues = QueueClient(boto3.client("sqs"))
        self.dead_letters = 0
        self._thread = threading.Thread(target=self._watch, name="dlq-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def check_once(self) -> int:
        handled = 0
        for queue_key, url in self._urls.items():
            for message in self._queues.receive(url, max_messages=10, visibility_timeout_s=DLQ_HIDE_S):
                handled += 1
                document_id = dead_letter_document_id(queue_key, message["Body"])
                logger.error("message dead-lettered", extra={"queue": queue_key, "document_id": document_id})
                if document_id:
                    fail_document(
                        self._pipeline,
                        document_id,
                        ErrorCode.INTERNAL,
                        f"its {queue_key} message failed {_spec(queue_key).max_receive_count} times "
                        "and went to the dead-letter queue",
                    )
        self.dead_letters += handled
        return handled

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception:
                logger.exception("dead-letter check failed")
            self._stop.wait(0.5)


def _spec(queue_key: str) -> QueueSpec:
    return next(q for q in QUEUES if q.key == queue_key)


class LocalEventSources:
    """All pollers and the dead-letter watcher, started and stopped together."""

    def __init__(
        self,
        pipeline: Pipeline,
        queue_urls: dict[str, str],
        dlq_urls: dict[str, str],
        *,
        enrich_workers: int,
        retry_delay_s: int = 1,
        watch_dead_letters: bool = True,
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
        # ``serve`` leaves dead letters visible in their DLQs, as on AWS, for ``doc-enhancer redrive``.
        self.watcher = (
            DeadLetterWatcher(pipeline, dlq_urls, stop=self.stop_event) if watch_dead_letters else None
        )

    def start(self) -> "LocalEventSources":
        for poller in self.pollers:
            poller.start()
        if self.watcher:
            self.watcher.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for poller in self.pollers:
            poller.join(timeout=30)
        if self.watcher:
            self.watcher.join(timeout=5)


TERMINAL = frozenset({DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED})
