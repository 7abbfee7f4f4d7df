"""The enrich handler called from a thread whose event loop is running (async code, a notebook, a test
process holding Playwright's sync API): Powertools' async batch processor cannot start its own loop there,
so the batch runs on a thread of its own and the chapters are enriched as usual."""

import asyncio
import contextvars
import threading
from typing import Any

import boto3
import pytest

from enhancer.loops import outside_running_loop
from enhancer.pipeline.ids import document_id_for
from enhancer.storage import document_store

from .conftest import Invoke, drain, s3_event_for


@pytest.mark.parametrize("on_lambda", [False, True], ids=["locally", "on-lambda"])
def test_enrich_completes_its_batch_when_called_inside_a_running_loop(
    aws: dict[str, str], invoke: Invoke, sample_pdf: bytes, monkeypatch: pytest.MonkeyPatch, on_lambda: bool
) -> None:
    if on_lambda:  # Powertools then reuses get_event_loop() instead of asyncio.run()
        monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    s3 = boto3.client("s3")
    key = "incoming/guide.pdf"
    etag = s3.put_object(Bucket=aws["INPUT_BUCKET"], Key=key, Body=sample_pdf)["ETag"].strip('"')
    boto3.client("sqs").purge_queue(QueueUrl=aws["INGEST_QUEUE_URL"])
    assert invoke("extract", s3_event_for(aws["INPUT_BUCKET"], key, etag)) == {"batchItemFailures": []}
    document_id = document_id_for(aws["INPUT_BUCKET"], key, etag)

    # Given a caller whose thread runs an event loop
    async def from_async_code(function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        asyncio.get_running_loop()  # raises unless a loop is running here
        return invoke(function_key, event)

    # When it drains the enrich queue through the handler, Then no record fails
    assert drain(lambda key, event: asyncio.run(from_async_code(key, event)), aws, "enrich", "enrich") == []
    record = document_store(aws["DOCUMENTS_TABLE"]).get(document_id)
    assert record is not None
    assert record.chapter_count
    assert len(record.chapters_done) == record.chapter_count


def test_outside_running_loop_keeps_the_thread_when_no_loop_runs() -> None:
    assert outside_running_loop(threading.current_thread) is threading.current_thread()


def test_outside_running_loop_moves_off_a_running_loop_with_the_callers_context() -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")

    async def caller() -> tuple[threading.Thread, str]:
        marker.set("caller's")
        return outside_running_loop(lambda: (threading.current_thread(), marker.get()))

    thread, seen = asyncio.run(caller())
    assert thread is not threading.current_thread()
    assert seen == "caller's"
