"""Handlers running at once in the local runtime's threads share one Powertools logger; each log line still
carries its own function's name and request id (Lambda has one invocation per process, so Powertools puts
the context on the shared logger)."""

import contextlib
import io
import json
import threading
from typing import Any

import pytest

from enhancer.local.functions import invoke, load_handler_module, sqs_event
from enhancer.observability import logger

from .conftest import load_event


def test_a_line_logged_while_another_function_runs_names_its_own_function(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    extract_started, validate_done = threading.Event(), threading.Event()

    def slow_ingest(pipeline: Any, record: Any, context: Any = None) -> None:
        extract_started.set()
        validate_done.wait(timeout=30)
        logger.info("from the extract handler")

    monkeypatch.setattr(load_handler_module("extract"), "handle_ingest_record", slow_ingest)
    stream = io.StringIO()
    handler: Any = logger.registered_handler
    previous = handler.stream
    handler.setStream(stream)
    try:
        # Given an extract invocation that logs only after a validate invocation ran in another thread
        extract = threading.Thread(target=invoke, args=("extract", load_event("s3_put_in_sqs.json")))
        extract.start()
        assert extract_started.wait(timeout=30)
        malformed = sqs_event(
            [
                {
                    "MessageId": "m1",
                    "ReceiptHandle": "r1",
                    "Body": "not json",
                    "Attributes": {"ApproximateReceiveCount": "1"},
                }
            ],
            "arn:aws:sqs:us-east-1:123456789012:validate",
        )
        with contextlib.suppress(Exception):  # a malformed record may fail its batch; it logs either way
            invoke("validate", malformed)
        validate_done.set()
        extract.join(timeout=30)
    finally:
        handler.setStream(previous)

    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    (extract_line,) = [line for line in lines if line["message"] == "from the extract handler"]
    validate_lines = [line for line in lines if line.get("function_name", "").endswith("-validate")]
    assert validate_lines  # the validate invocation logged (and set the shared keys) meanwhile
    validate_line = validate_lines[-1]
    assert extract_line["function_name"].endswith("-extract")
    assert validate_line["function_name"].endswith("-validate")
    assert extract_line["function_request_id"] != validate_line["function_request_id"]
