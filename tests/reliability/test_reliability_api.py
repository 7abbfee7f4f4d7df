"""Hypothesis over methods, paths, headers, query strings and bodies, through the real API handler (moto
in-process behind it): a client mistake is never a 5xx, every error has the fixed body, and the API still
answers ``GET /health`` after each request. Small in ``make test``, larger under ``make soak``."""

import base64
import copy
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from enhancer.api import app as api_app
from enhancer.local.functions import LocalContext, load_handler_module
from enhancer.local.provision import provision
from enhancer.storage import clear_clients
from tests.reliability.harness import sized

pytestmark = pytest.mark.reliability

TEMPLATE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "api" / "get_health.json").read_text()
)
HEX_ID = "5f1c2b7e9a0d4c3e8b6a1f2d3c4b5a69"
KNOWN_PATHS = [
    "/health",
    "/health/detailed",
    "/documents",
    f"/documents/{HEX_ID}",
    f"/documents/{HEX_ID}/result",
    f"/documents/{HEX_ID}/reprocess",
]

segment = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%:@!$&'()*+,;= ", min_size=0, max_size=40
)
paths = st.one_of(
    st.sampled_from(KNOWN_PATHS),
    st.sampled_from(KNOWN_PATHS),
    st.builds(lambda parts: "/" + "/".join(parts), st.lists(segment, max_size=4)),
    st.builds(lambda s: f"/documents/{s}", segment),
    st.builds(lambda s: f"/documents/{s}/result", segment),
    st.builds(lambda s: f"/documents/{s}/reprocess", segment),
)
KNOWN_METHODS = st.sampled_from(["GET", "POST", "HEAD"])
methods = st.one_of(
    KNOWN_METHODS,
    KNOWN_METHODS,
    st.sampled_from(["PUT", "DELETE", "PATCH", "OPTIONS", "get"]),
    st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=8),
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/xml",
        "application/pdf",
        "",
        "*/*",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
upload_like = st.fixed_dictionaries(
    {},
    optional={
        "filename": st.one_of(
            st.text(max_size=250), st.sampled_from(["x.pdf", "REPORT.PDF", "a/b.pdf", ".pdf"])
        ),
        "size_bytes": st.one_of(st.integers(), st.text(max_size=10), st.floats(allow_nan=False)),
        "profile": st.one_of(st.text(max_size=80), st.sampled_from(["report", "Report", "bogus"])),
    },
)
bodies = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.builds(json.dumps, json_values),
    st.builds(json.dumps, upload_like),
    st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
tokens = st.one_of(
    st.text(max_size=80),
    st.builds(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode(), json_values),
    st.builds(
        lambda doc, extra: base64.urlsafe_b64encode(
            json.dumps({"s": None, "k": {"document_id": {"S": doc}, **extra}}).encode()
        ).decode(),
        st.text(max_size=40),
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    ),
)
queries = st.dictionaries(
    st.sampled_from(["status", "limit", "next_token", "x"]),
    st.one_of(st.text(max_size=30), tokens, st.sampled_from(["COMPLETED", "0", "-1", "101", "20"])),
    max_size=3,
)
extra_headers = st.dictionaries(
    st.sampled_from(["Accept", "X-Custom", "Content-Length", "Authorization", "Origin"]),
    st.text(alphabet=string.printable, max_size=40),
    max_size=3,
)


def _event(
    method: str,
    path: str,
    content_type: str | None,
    headers: dict[str, str],
    query: dict[str, str],
    body: str | None,
    base64_body: bool,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(TEMPLATE)
    all_headers = {**event["headers"], **headers}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    event["headers"] = all_headers
    event["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["path"] = path
    event["requestContext"]["path"] = f"/dev{path}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if body is not None and base64_body:
        event["body"] = base64.b64encode(body.encode()).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = body
        event["isBase64Encoded"] = False
    return event


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        clear_clients()
        api_app._services.cache_clear()
        for name, value in provision("fuzz", visibility_timeout_s=30).items():
            monkeypatch.setenv(name, value)
        yield load_handler_module("api").lambda_handler
    api_app._services.cache_clear()
    clear_clients()


def _assert_error_shape(body: str) -> None:
    parsed = json.loads(body)
    assert set(parsed) == {"error"}, parsed
    assert set(parsed["error"]) == {"code", "message"}, parsed
    assert isinstance(parsed["error"]["code"], str)
    assert parsed["error"]["code"]
    assert isinstance(parsed["error"]["message"], str)
    assert parsed["error"]["message"]


def test_no_client_mistake_is_a_server_error(api: Any) -> None:
    seen: dict[int, int] = {}

    @settings(
        max_examples=sized(150, 1500),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(methods, paths, content_types, extra_headers, queries, bodies, st.booleans())
    def one_request(
        method: str,
        path: str,
        content_type: str | None,
        headers: dict[str, str],
        query: dict[str, str],
        body: str | None,
        base64_body: bool,
    ) -> None:
        response = api(
            _event(method, path, content_type, headers, query, body, base64_body), LocalContext("fuzz-api")
        )
        status = response["statusCode"]
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (method, path, content_type, body and body[:200], response.get("body", "")[:300])
        if method == "HEAD":
            assert not response.get("body")  # HEAD: GET's status and headers, no body
        elif status >= 400:
            _assert_error_shape(response["body"])
            if status == 405:
                allow = (response.get("multiValueHeaders") or {}).get("Allow") or [
                    (response.get("headers") or {}).get("Allow")
                ]
                assert allow
                assert allow[0]
        alive = api(_event("GET", "/health", None, {}, {}, None, False), LocalContext("fuzz-api"))
        assert alive["statusCode"] == 200

    one_request()
    print(f"status codes seen: {dict(sorted(seen.items()))}")
    assert any(400 <= code < 500 for code in seen)
