"""Client mistakes answer 4xx with the fixed error body: wrong Content-Type, bodies of any shape, deep
nesting, a hand-made next_token, a wrong method on a known route (405 with Allow); HEAD works where GET
does; the API's tracer does not capture responses."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from enhancer.local.functions import FUNCTIONS_DIR
from tests.unit.api.conftest import SAMPLE_ID, Call, api_event


def _raw(call_event: dict[str, Any], content_type: str) -> dict[str, Any]:
    headers = {**(call_event.get("headers") or {}), "Content-Type": content_type}
    return {**call_event, "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()}}


def _error(body: Any) -> tuple[str, str]:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    return body["error"]["code"], body["error"]["message"]


def test_a_text_plain_body_is_a_415_not_a_500(call: Call) -> None:
    status, body = call(_raw(api_event("post_documents.json", body={"filename": "x.pdf"}), "text/plain"))

    assert status == 415
    code, message = _error(body)
    assert code == "INVALID_REQUEST"
    assert "application/json" in message


@pytest.mark.parametrize(
    "label", ["multipart/form-data", "multipart/form-data; boundary=x", "Multipart/Mixed"]
)
@pytest.mark.parametrize("raw", [None, '{"filename": "x.pdf"}', "--x\r\n\r\n--x--"])
def test_a_multipart_body_is_a_415_not_a_500(call: Call, label: str, raw: str | None) -> None:
    # Found by the Hypothesis test: multipart/form-data without a boundary raised ValueError inside Powertools
    event = api_event("post_documents.json", body={"filename": "x.pdf"})
    status, body = call(_raw({**event, "body": raw}, label))

    assert status == 415
    assert "application/json" in _error(body)[1]


@pytest.mark.parametrize("raw", ["[1, 2]", '"x.pdf"', "12", "null", "true", "{", "", "\x00\xff"])
def test_bodies_of_any_shape_are_a_400(call: Call, raw: str) -> None:
    status, body = call(api_event("post_documents.json", raw_body=raw))

    assert status == 400
    assert _error(body)[0] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "raw", ["[" * 50_000 + "]" * 50_000, '{"filename": ' + "[" * 2000 + "]" * 2000 + "}"]
)
def test_deeply_nested_bodies_are_a_400(call: Call, raw: str) -> None:
    status, body = call(api_event("post_documents.json", raw_body=raw))

    assert status == 400
    assert "nested" in _error(body)[1]


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        _token({"s": None, "k": {"document_id": {"S": "x"}}}),  # not an id
        _token({"s": None, "k": {"document_id": "5f1c2b7e9a0d4c3e8b6a1f2d3c4b5a69"}}),  # not a DynamoDB value
        _token({"s": None, "k": {"document_id": {"S": SAMPLE_ID}, "extra": {"S": "x"}}}),  # another key
        _token({"s": None, "k": {"document_id": {"N": "1"}}}),
        _token({"s": "COMPLETED", "k": {"document_id": {"S": SAMPLE_ID}}}),  # index keys missing
    ],
)
def test_a_hand_made_next_token_is_a_400_not_a_503(call: Call, token: str) -> None:
    query = {"next_token": token} | ({"status": "COMPLETED"} if "COMPLETED" in base64_text(token) else {})
    status, body = call(api_event("list_documents.json", query=query))

    assert status == 400
    assert "next_token" in _error(body)[1]


def base64_text(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        return ""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/health", "GET, HEAD"),
        ("POST", "/health/detailed", "GET, HEAD"),
        ("PUT", "/documents", "GET, HEAD, POST"),
        ("DELETE", f"/documents/{SAMPLE_ID}", "GET, HEAD"),
        ("GET", f"/documents/{SAMPLE_ID}/reprocess", "POST"),
        ("OPTIONS", f"/documents/{SAMPLE_ID}/result", "GET, HEAD"),
    ],
)
def test_a_wrong_method_on_a_known_route_is_a_405_with_allow(
    aws: dict[str, str], method: str, path: str, allow: str
) -> None:
    from enhancer.local.functions import LocalContext, load_handler_module

    response = load_handler_module("api").lambda_handler(
        api_event("get_health.json", method=method, path=path), LocalContext(function_name="test-api")
    )

    assert response["statusCode"] == 405
    headers = response.get("multiValueHeaders") or {}
    assert headers["Allow"] == [allow]
    assert _error(json.loads(response["body"]))[0] == "METHOD_NOT_ALLOWED"


def test_an_unknown_path_is_still_a_404(call: Call) -> None:
    status, body = call(api_event("get_health.json", method="DELETE", path="/nope"))
    assert (status, _error(body)[0]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/health", "/health/detailed", "/documents", f"/documents/{SAMPLE_ID}"])
def test_head_answers_like_get_without_a_body(aws: dict[str, str], path: str) -> None:
    from enhancer.local.functions import LocalContext, load_handler_module

    handler = load_handler_module("api").lambda_handler
    get = handler(api_event("get_health.json", method="GET", path=path), LocalContext(function_name="t"))
    head = handler(api_event("get_health.json", method="HEAD", path=path), LocalContext(function_name="t"))

    assert head["statusCode"] == get["statusCode"]
    assert head["body"] == ""


def test_the_api_tracer_does_not_capture_responses() -> None:
    source = (FUNCTIONS_DIR / "api" / "handler.py").read_text()
    assert "@tracer.capture_lambda_handler(capture_response=False)" in source
    assert Path(FUNCTIONS_DIR / "api" / "handler.py").is_file()
