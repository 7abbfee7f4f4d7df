"""The api function over in-process moto, driven by the real-shaped events in events/api/."""

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from enhancer.api import app as api_app
from enhancer.local.functions import LocalContext, load_handler_module
from enhancer.local.provision import provision
from enhancer.storage import clear_clients

EVENTS = Path(__file__).resolve().parents[3] / "events" / "api"
SAMPLE_ID = "5f1c2b7e9a0d4c3e8b6a1f2d3c4b5a69"


def api_event(
    name: str,
    *,
    method: str | None = None,
    path: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A stored event, optionally with another method, path, body or query string."""
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / name).read_text()))
    if method:
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    if path:
        event["path"] = path
        event["requestContext"]["path"] = f"/dev{path}"
        event["pathParameters"] = {"proxy": path.lstrip("/")}
    if body is not None:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return event


Call = Callable[[dict[str, Any]], tuple[int, Any]]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_clients()
        api_app._services.cache_clear()
        env = provision("test", visibility_timeout_s=30)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env
    api_app._services.cache_clear()
    clear_clients()


@pytest.fixture
def call(aws: dict[str, str]) -> Call:
    handler = load_handler_module("api").lambda_handler

    def _call(event: dict[str, Any]) -> tuple[int, Any]:
        response = handler(event, LocalContext(function_name="test-api"))
        body = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], body

    return _call
