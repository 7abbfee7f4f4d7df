"""``doc-enhancer console --stage``'s local server, against a local endpoint that checks every request's
SigV4 signature by computing it again from the same credentials (no AWS here: the endpoint plays API
Gateway's IAM check for the shape and the signature, not for the account's policies)."""

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from enhancer.console.proxy import ConsoleProxy, ProxyTarget
from enhancer.httpserver import BackgroundHttpServer

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
REGION = "eu-west-1"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(?P<date>\d{8})/eu-west-1/execute-api/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def verify(method: str, url: str, headers: dict[str, str], body: bytes) -> str | None:
    """Why the request would be refused, or None: the header's shape, then the signature recomputed."""
    match = AUTHORIZATION.match(headers.get("Authorization", ""))
    if not match:
        return "malformed Authorization header"
    stamp = headers.get("X-Amz-Date", "")
    if not stamp.startswith(match["date"]):
        return "X-Amz-Date does not match the credential scope"
    if headers.get("X-Amz-Security-Token") != "session-token":
        return "session token missing"
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    kept = {k: v for k, v in headers.items() if k.lower() in signed}
    request = AWSRequest(method=method, url=url, data=body, headers=kept)
    request.context["timestamp"] = stamp
    auth = SigV4Auth(CREDENTIALS, "execute-api", REGION)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    return None if expected == match["signature"] else "signature mismatch"


class _Gateway(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = f"http://{self.headers['Host']}{self.path}"
        problem = verify(self.command, url, dict(self.headers.items()), body)
        _Gateway.seen.append({"method": self.command, "path": self.path, "problem": problem, "body": body})
        status, answer = (403, {"message": problem}) if problem else (200, {"path": self.path, "ok": True})
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    _Gateway.seen = []
    with BackgroundHttpServer("127.0.0.1", 0, _Gateway, name="fake-api-gateway") as server:
        yield f"{server.url}/prod"


@pytest.fixture
def proxy(gateway: str, tmp_path: Path) -> Iterator[str]:
    target = ProxyTarget(
        api_url=gateway, region=REGION, credentials=CREDENTIALS, eval_report=tmp_path / "r.json"
    )
    running = ConsoleProxy(target, port=0).start()
    yield running.url
    running.stop()


def test_api_calls_are_forwarded_signed(proxy: str) -> None:
    listed = requests.get(f"{proxy}/documents", params={"status": "COMPLETED", "limit": "5"}, timeout=10)
    posted = requests.post(
        f"{proxy}/documents",
        data=json.dumps({"filename": "a b.pdf"}),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert listed.status_code == posted.status_code == 200
    assert listed.json()["path"] == "/prod/documents?status=COMPLETED&limit=5"
    assert [s["problem"] for s in _Gateway.seen] == [None, None]
    assert _Gateway.seen[1]["body"] == b'{"filename": "a b.pdf"}'


def test_a_tampered_signature_is_refused_by_the_checker() -> None:
    url = "http://127.0.0.1:1/prod/documents"
    request = AWSRequest(method="GET", url=url, headers={})
    SigV4Auth(CREDENTIALS, "execute-api", REGION).add_auth(request)
    headers = dict(request.headers.items())
    assert verify("GET", url, headers, b"") is None
    headers["Authorization"] = headers["Authorization"][:-1] + (
        "0" if headers["Authorization"][-1] != "0" else "1"
    )
    assert verify("GET", url, headers, b"") == "signature mismatch"
    assert verify("GET", url + "?x=1", dict(request.headers.items()), b"") == "signature mismatch"


def test_static_pages_and_the_eval_report_stay_local(proxy: str, tmp_path: Path) -> None:
    page = requests.get(f"{proxy}/", timeout=10)
    script = requests.get(f"{proxy}/console/console.js", timeout=10)
    missing = requests.get(f"{proxy}/console/eval-report", timeout=10)
    (tmp_path / "r.json").write_text('{"overall": {}}')
    present = requests.get(f"{proxy}/console/eval-report", timeout=10)

    assert page.status_code == script.status_code == 200
    assert '<main id="view"' in page.text
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert present.json() == {"overall": {}}
    assert _Gateway.seen == []  # none of it reached the API


def test_an_unreachable_api_is_a_502_in_the_apis_error_shape(tmp_path: Path) -> None:
    target = ProxyTarget(
        api_url="http://127.0.0.1:9/prod", region=REGION, credentials=CREDENTIALS, timeout_s=2
    )
    running = ConsoleProxy(target, port=0).start()
    try:
        answer = requests.get(f"{running.url}/health", timeout=10)
    finally:
        running.stop()
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "UNAVAILABLE"
