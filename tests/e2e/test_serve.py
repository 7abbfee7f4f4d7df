"""``doc-enhancer serve`` as a user meets it: the embedded stack, the pipeline and the API over real HTTP."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enhancer.api.openapi import render
from enhancer.local.server import ServeOptions, ServingStack, serve_stack

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
OPENAPI = json.loads(render())


@pytest.fixture(scope="module")
def stack() -> Iterator[ServingStack]:
    with serve_stack(ServeOptions(port=0, provider="offline")) as running:
        yield running


def wait_terminal(api: str, document_id: str, attempts: int = 240) -> dict[str, Any]:
    """Poll like a user would (not a timing assertion: it only bounds a hung pipeline)."""
    for _ in range(attempts):
        response = requests.get(f"{api}/documents/{document_id}", timeout=10)
        if response.status_code == 200 and response.json()["status"] in ("COMPLETED", "PARTIAL", "FAILED"):
            return dict(response.json())
        time.sleep(0.25)
    raise AssertionError(f"{document_id} did not finish")


def upload(api: str, filename: str, body: bytes) -> str:
    ticket = requests.post(f"{api}/documents", data=json.dumps({"filename": filename}), timeout=10)
    assert ticket.status_code == 201, ticket.text
    put = requests.put(
        ticket.json()["upload_url"], data=body, headers=ticket.json()["upload_headers"], timeout=10
    )
    assert put.status_code == 200, put.text
    return str(ticket.json()["document_id"])


def assert_documented(path: str, method: str, status: int, body: Any) -> None:
    """The response body matches the schema the OpenAPI document gives for this status."""
    content = OPENAPI["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
    schema = {**content["schema"], "components": OPENAPI["components"]}
    jsonschema.validate(body, schema)


def test_health_over_http(stack: ServingStack) -> None:
    response = requests.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    detailed = requests.get(f"{stack.api_url}/health/detailed", timeout=30)
    assert detailed.status_code in (200, 503)
    assert_documented("/health/detailed", "get", detailed.status_code, detailed.json())


def test_upload_poll_result(stack: ServingStack) -> None:
    pdf = SAMPLES / "research-paper.pdf"
    if not pdf.is_file():
        pytest.skip("samples/ not generated (make samples)")
    document_id = upload(stack.api_url, "research-paper.pdf", pdf.read_bytes())
    record = wait_terminal(stack.api_url, document_id)
    assert record["status"] == "COMPLETED", record
    result = requests.get(f"{stack.api_url}/documents/{document_id}/result", timeout=10)
    assert result.status_code == 200
    assert result.json()["document_id"] == document_id
    assert result.json()["chapters"]
    assert_documented("/documents/{document_id}/result", "get", 200, result.json())


def test_a_non_pdf_upload_ends_failed_not_a_pdf(stack: ServingStack) -> None:
    # The presigned PUT pins Content-Type, not the bytes: the extract step refuses the content.
    document_id = upload(stack.api_url, "fake.pdf", b"this is plain text, not a PDF\n" * 20)
    record = wait_terminal(stack.api_url, document_id)
    assert (record["status"], record["error_code"]) == ("FAILED", "NOT_A_PDF")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"filename": st.text(max_size=60)},
            optional={
                "profile": st.one_of(st.none(), st.text(max_size=20)),
                "size_bytes": st.integers(min_value=-5, max_value=10**13),
            },
        ),
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_documented_requests_never_crash(stack: ServingStack, body: Any) -> None:
    """Property check driven by the documented request schema: no 500, every answer as documented."""
    response = requests.post(f"{stack.api_url}/documents", data=json.dumps(body), timeout=10)
    assert response.status_code in (201, 400, 413), response.text
    assert_documented("/documents", "post", response.status_code, response.json())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document_id=st.text(alphabet="0123456789abcdefXYZ-", min_size=1, max_size=40),
    status=st.sampled_from(["COMPLETED", "FAILED", "RUNNING", ""]),
    limit=st.integers(min_value=-2, max_value=200),
)
def test_documented_lookups_never_crash(
    stack: ServingStack, document_id: str, status: str, limit: int
) -> None:
    response = requests.get(f"{stack.api_url}/documents/{document_id}", timeout=10)
    assert response.status_code in (200, 400, 404)
    assert_documented("/documents/{document_id}", "get", response.status_code, response.json())
    listing = requests.get(
        f"{stack.api_url}/documents", params={"status": status, "limit": limit}, timeout=10
    )
    assert listing.status_code in (200, 400)
    assert_documented("/documents", "get", listing.status_code, listing.json())
