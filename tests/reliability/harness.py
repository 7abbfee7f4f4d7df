"""The stack the reliability suites drive: the embedded AWS emulation (moto over HTTP), the provisioned
resources, and the runtime's own ``QueuePoller``s calling the real handlers.

The one seam is the poller's ``invoker`` (what Lambda would be): the suites wrap the real ``invoke`` to count
records, deliver every message twice, or make a worker die or hang, between the queue and the handler.
"""

import json
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.config import get_app_config
from enhancer.local.functions import invoke
from enhancer.local.provision import dead_letter_queue_urls, provision
from enhancer.local.runtime import LocalSweeper, QueuePoller
from enhancer.models import ChapterStatus, DocumentStatus, ErrorCode
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline, build_pipeline, clear_pipeline_cache
from enhancer.pipeline.idempotency import clear_idempotency_cache
from enhancer.pipeline.ids import document_id_for
from enhancer.resources import INCOMING_PREFIX, QUEUES, RESULTS_PREFIX
from enhancer.settings import get_settings
from enhancer.storage import clear_clients
from tests.unit.pdf.pdf_builders import raw_pdf, text_page

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
LARGE = os.environ.get("RELIABILITY_SCALE", "small").lower() == "large"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TERMINAL = {DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED}
CHAPTER_CODES = {
    ErrorCode.LLM_UNAVAILABLE.value,
    ErrorCode.INVALID_LLM_OUTPUT.value,
    ErrorCode.INTERNAL.value,
}
DOCUMENT_CODES = {code.value for code in ErrorCode}
DUPLICATE_ATTRIBUTE = "reliability_duplicate"

Invoker = Callable[[str, dict[str, Any]], dict[str, Any]]


def sized(small: int, large: int) -> int:
    """CI runs the small size (``make test``); ``make soak`` sets RELIABILITY_SCALE=large."""
    return large if LARGE else small


def sample_bytes(*names: str) -> dict[str, bytes]:
    if not (SAMPLES / "kubernetes-field-guide.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    return {name: (SAMPLES / name).read_bytes() for name in names}


_WORDS = (
    "cluster node pod service ingress helm deployment replica storage volume network policy secret operator "
    "controller scheduler gateway queue function bucket table index stream shard partition latency "
    "throughput cache retry backoff budget token prompt schema metric alarm dashboard"
)


def small_pdf(seed: int, chapters: int = 3) -> bytes:
    """A small, distinct PDF (own text, so no LLM cache hit between copies) with pattern chapters."""
    rng = random.Random(seed)
    words = _WORDS.split()
    pages = []
    for number in range(1, chapters + 1):
        lines = [f"Chapter {number}: {rng.choice(words).title()} {rng.choice(words).title()} {seed}"]
        lines += [" ".join(rng.choice(words) for _ in range(10)).capitalize() + "." for _ in range(12)]
        pages.append(text_page(*lines))
    return raw_pdf(pages)


def clear_caches() -> None:
    """Everything cached per process from the environment (what ``doc-enhancer run`` clears too)."""
    get_settings.cache_clear()
    get_app_config.cache_clear()
    clear_clients()
    clear_pipeline_cache()
    clear_idempotency_cache()


class RecordingInvoker:
    """The real handlers, counting the records each function received (by message id and body)."""

    def __init__(self, inner: Invoker = invoke) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.records: dict[str, list[dict[str, Any]]] = {"extract": [], "enrich": [], "validate": []}

    def __call__(self, function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.records[function_key].extend(event["Records"])
        return self.inner(function_key, event)

    def originals(self, function_key: str) -> list[dict[str, Any]]:
        """Records of messages the pipeline sent (not the copies ``DuplicatingInvoker`` added)."""
        with self.lock:
            records = list(self.records[function_key])
        return [r for r in records if DUPLICATE_ATTRIBUTE not in r["messageAttributes"]]


class DuplicatingInvoker(RecordingInvoker):
    """At-least-once delivery made 'twice, always': before a message is handled, a copy of it goes back to
    its queue, so another worker may pick the copy up while the first is still running."""

    def __init__(self, inner: Invoker = invoke) -> None:
        super().__init__(inner)
        self._sqs: Any = boto3.client("sqs")

    def __call__(self, function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        for record in event["Records"]:
            if DUPLICATE_ATTRIBUTE in record["messageAttributes"]:
                continue
            attributes = {
                name: {"DataType": "String", "StringValue": value["stringValue"]}
                for name, value in record["messageAttributes"].items()
                if value.get("stringValue") is not None
            }
            attributes[DUPLICATE_ATTRIBUTE] = {"DataType": "String", "StringValue": "1"}
            queue_name = record["eventSourceARN"].rsplit(":", 1)[-1]
            url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=record["body"], MessageAttributes=attributes)
        return super().__call__(function_key, event)


@dataclass
class Stack:
    endpoint: str
    stage: str
    env: dict[str, str]
    pipeline: Pipeline
    pollers: dict[str, QueuePoller]
    sweeper: LocalSweeper | None
    uploaded: dict[str, str] = field(default_factory=dict)  # document id → key

    @property
    def input_bucket(self) -> str:
        return self.env["INPUT_BUCKET"]

    def upload(self, name: str, body: bytes, *, times: int = 1) -> str:
        """Put the PDF under ``incoming/``; ``times`` > 1 puts the same bytes again (same ETag), so S3
        sends duplicate ObjectCreated events for the same document."""
        s3: Any = boto3.client("s3")
        key = f"{INCOMING_PREFIX}{name}"
        etags = {
            str(s3.put_object(Bucket=self.input_bucket, Key=key, Body=body)["ETag"]).strip('"')
            for _ in range(times)
        }
        assert len(etags) == 1
        document_id = document_id_for(self.input_bucket, key, etags.pop())
        self.uploaded[document_id] = key
        return document_id

    def wait_terminal(self, document_ids: list[str], *, stall_s: float = 120.0) -> dict[str, DocumentStatus]:
        """Until every document is terminal. Not a timed assertion: it only ends a run that stopped moving."""
        statuses: dict[str, DocumentStatus] = {}
        last, last_change = -1, time.monotonic()
        while True:
            for document_id in document_ids:
                if statuses.get(document_id) in TERMINAL:
                    continue
                record = self.pipeline.documents.get(document_id)
                if record is not None:
                    statuses[document_id] = record.status
            done = sum(1 for s in statuses.values() if s in TERMINAL)
            if done == len(document_ids):
                return statuses
            if done != last:
                last, last_change = done, time.monotonic()
            if time.monotonic() - last_change > stall_s:
                pending = {d: s for d, s in statuses.items() if s not in TERMINAL}
                raise AssertionError(f"no progress for {stall_s:.0f} s; not terminal: {pending}")
            time.sleep(0.2)

    def result(self, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.pipeline.objects.get_json(
            self.pipeline.output_bucket, f"{RESULTS_PREFIX}{document_id}.json"
        )
        return result

    def result_keys(self) -> list[str]:
        s3: Any = boto3.client("s3")
        keys: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.pipeline.output_bucket, Prefix=RESULTS_PREFIX
        ):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys

    def document_items(self) -> list[dict[str, Any]]:
        ddb: Any = boto3.client("dynamodb")
        items: list[dict[str, Any]] = []
        for page in ddb.get_paginator("scan").paginate(TableName=self.env["DOCUMENTS_TABLE"]):
            items += page["Items"]
        return items

    def queue_url(self, key: str) -> str:
        return self.env[next(q.env_var for q in QUEUES if q.key == key)]

    def dlq_depth(self, key: str) -> int:
        sqs: Any = boto3.client("sqs")
        url = dead_letter_queue_urls(self.stage)[key]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def assert_accounted_for(self) -> dict[str, dict[str, Any]]:
        """Nothing lost, nothing doubled: exactly one DynamoDB record and one result JSON per uploaded PDF,
        each terminal with a documented outcome, each chapter once, enriched or failed with its code."""
        expected = set(self.uploaded)
        items = self.document_items()
        ids = [item["document_id"]["S"] for item in items]
        assert sorted(ids) == sorted(expected), "documents table: missing or extra records"
        keys = self.result_keys()
        assert sorted(keys) == sorted(f"{RESULTS_PREFIX}{d}.json" for d in expected), "results: lost or extra"
        results = {}
        for document_id in expected:
            record = self.pipeline.documents.get(document_id)
            assert record is not None
            result = self.result(document_id)
            assert result["document_id"] == document_id
            assert result["status"] == record.status.value, document_id
            assert record.status in TERMINAL, (document_id, record.status)
            if record.status == DocumentStatus.FAILED:
                assert result["error_code"] in DOCUMENT_CODES, result["error_code"]
            else:
                assert result["error_code"] is None
            indexes = [c["index"] for c in result["chapters"]]
            assert indexes == list(range(len(indexes))), "chapter rows missing, doubled or out of order"
            for chapter in result["chapters"]:
                if chapter["status"] == ChapterStatus.COMPLETED.value:
                    assert chapter["metadata"]
                    assert chapter["error"] is None
                else:
                    assert chapter["status"] == ChapterStatus.FAILED.value
                    assert chapter["error"]["code"] in CHAPTER_CODES, chapter["error"]
            if record.chapter_count is not None and record.status != DocumentStatus.FAILED:
                assert len(record.chapters_done | record.chapters_failed) == record.chapter_count
                assert record.chapters_done.isdisjoint(record.chapters_failed)
                failed = [c for c in result["chapters"] if c["status"] == ChapterStatus.FAILED.value]
                assert (record.status == DocumentStatus.PARTIAL) == bool(failed), document_id
            results[document_id] = result
        return results


@contextmanager
def local_stack(
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    stage: str,
    *,
    env: dict[str, str] | None = None,
    invoker: Invoker = invoke,
    enrich_workers: int = 4,
    visibility_timeout_s: int = 120,
    sweep: bool = True,
) -> Iterator[Stack]:
    """Provision ``stage`` on the emulation and run one poller per queue (the queue's batch size, partial
    batch failures, 1 s retry delay, DLQs) until the block ends."""
    base = {
        "AWS_ENDPOINT_URL": endpoint,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "CACHE_ENABLED": "false",
        "RATE_LIMIT": "1000000",
        "LLM_BACKOFF_BASE": "0.01",
        "LLM_TIMEOUT": "0.5",
        "MAX_WORKERS": str(enrich_workers),
        **(env or {}),
    }
    for name, value in base.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    resources = provision(stage, visibility_timeout_s=visibility_timeout_s)
    for name, value in resources.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    pipeline = build_pipeline(get_settings())
    stop = threading.Event()
    pollers = {
        spec.key: QueuePoller(
            spec,
            resources[spec.env_var],
            stop=stop,
            workers=enrich_workers if spec.key == "enrich" else 1,
            retry_delay_s=1,
            invoker=invoker,
        )
        for spec in QUEUES
    }
    sweeper = LocalSweeper(stop=stop, interval_s=0.5) if sweep else None
    previous_level = logger.log_level
    logger.setLevel("CRITICAL")  # crashes are the point here; the suites assert on state, not log lines
    for poller in pollers.values():
        poller.start()
    if sweeper:
        sweeper.start()
    try:
        yield Stack(endpoint, stage, {**base, **resources}, pipeline, pollers, sweeper)
    finally:
        stop.set()
        for poller in pollers.values():
            poller.join(timeout=30)
        if sweeper:
            sweeper.join(timeout=30)
        logger.setLevel(previous_level)
        clear_caches()


def normalised(result: dict[str, Any]) -> dict[str, Any]:
    """A result without what differs between two runs of the same input: ids and bucket names of the run,
    timings, timestamps and measured latencies."""
    copy: dict[str, Any] = json.loads(json.dumps(result))
    for key in ("document_id", "timings", "created_at", "completed_at"):
        copy.pop(key, None)
    copy["source"].pop("bucket", None)
    for chapter in copy["chapters"]:
        if chapter.get("llm"):
            chapter["llm"].pop("latency_ms", None)
    return copy


def by_document(records: list[dict[str, Any]]) -> Counter[str]:
    return Counter(json.loads(r["body"])["document_id"] for r in records)


# Every reliability module: the marker, and room for the soak's sizes (pytest's default timeout is 300 s).
MARKS = [
    pytest.mark.reliability,
    pytest.mark.timeout(3600 if LARGE else 300),
    pytest.mark.filterwarnings("ignore:No application metrics"),
]
