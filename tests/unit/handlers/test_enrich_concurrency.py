"""The chapters of one enrich batch run at the same time, each on its own thread with its own log keys."""

import threading
from typing import Any

import boto3
import pytest

from enhancer.observability import logger
from enhancer.pipeline import providers
from enhancer.providers.base import EnrichmentOutcome, EnrichmentRequest

from .conftest import Invoke, drain, s3_event_for


class MeetingProvider:
    """The offline provider, but every chapter waits (a while) for another one to be in flight too."""

    name = "meeting"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: list[tuple[int, Any, str]] = []
        self.in_flight = 0
        self.peak = 0
        self.met = threading.Event()
        self.lock = threading.Lock()

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        keys = logger.thread_safe_get_current_keys()
        with self.lock:
            self.seen.append(
                (request.chapter_index, keys.get("chapter_index"), threading.current_thread().name)
            )
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight >= 2:
                self.met.set()
        self.met.wait(timeout=10)  # one after another, no chapter would ever see another in flight
        try:
            return self.inner.enrich_chapter(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def reduce_document(self, request: Any) -> Any:
        return self.inner.reduce_document(request)


def test_a_batch_enriches_its_chapters_concurrently_with_per_record_log_keys(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = providers.provider_for
    holder: dict[str, MeetingProvider] = {}

    def build(settings: Any, config: Any) -> MeetingProvider:
        holder["p"] = MeetingProvider(original(settings, config))
        return holder["p"]

    monkeypatch.setattr(providers, "provider_for", build)
    providers.clear_provider_cache()
    key = "incoming/guide.pdf"
    etag = (
        boto3.client("s3").put_object(Bucket=aws["INPUT_BUCKET"], Key=key, Body=sample_pdf)["ETag"].strip('"')
    )
    boto3.client("sqs").purge_queue(QueueUrl=aws["INGEST_QUEUE_URL"])
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}

    assert drain(invoke, aws, "enrich", "enrich") == []

    provider = holder["p"]
    seen = provider.seen
    assert provider.peak >= 2
    assert len(seen) >= 2
    assert [index for index, _, _ in seen] == [keyed for _, keyed, _ in seen]  # each thread logs its own
    assert all(thread.startswith("enrich-chapter") for _, _, thread in seen)
    assert len({thread for _, _, thread in seen}) >= 2
