"""Handlers over in-process moto: resources provisioned from enhancer.resources, events from events/."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from enhancer.local.functions import LocalContext, load_handler_module, sqs_event
from enhancer.local.provision import provision
from enhancer.pipeline import providers
from enhancer.pipeline.context import clear_pipeline_cache
from enhancer.pipeline.idempotency import clear_idempotency_cache
from enhancer.storage import clear_clients

EVENTS = Path(__file__).resolve().parents[3] / "events"
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _clear() -> None:
    clear_clients()
    clear_pipeline_cache()
    clear_idempotency_cache()
    providers._providers.clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    with mock_aws():
        _clear()
        env = provision("test", visibility_timeout_s=30)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env
    _clear()


@pytest.fixture
def sample_pdf() -> bytes:
    path = SAMPLES / "kubernetes-field-guide.pdf"
    if not path.is_file():
        pytest.skip("samples/ not generated (make samples)")
    return path.read_bytes()


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def s3_event_for(bucket: str, key: str, etag: str) -> dict[str, Any]:
    event = load_event("s3_put_in_sqs.json")
    body = json.loads(event["Records"][0]["body"])
    body["Records"][0]["s3"]["bucket"]["name"] = bucket
    body["Records"][0]["s3"]["object"]["key"] = key.replace(" ", "+")
    body["Records"][0]["s3"]["object"]["eTag"] = etag
    event["Records"][0]["body"] = json.dumps(body)
    return event


Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture
def invoke() -> Invoke:
    def _invoke(function_key: str, event: dict[str, Any]) -> dict[str, Any]:
        module = load_handler_module(function_key)
        result: dict[str, Any] = module.lambda_handler(
            event, LocalContext(function_name=f"test-{function_key}")
        )
        return result

    return _invoke


def drain(invoke: Invoke, env: dict[str, str], queue_key: str, function_key: str) -> list[dict[str, Any]]:
    """Receive everything on a queue and hand it to the handler like the event source mapping does;
    failed records stay on the queue (returned for inspection)."""
    sqs = boto3.client("sqs")
    url = env[f"{queue_key.upper()}_QUEUE_URL"]
    failures: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            return failures
        response = invoke(
            function_key, sqs_event(messages, f"arn:aws:sqs:us-east-1:123456789012:{queue_key}")
        )
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        failures.extend(m for m in messages if m["MessageId"] in failed)
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if failed:
            return failures
