"""``doc-enhancer console --stage NAME``: the console's pages against a deployed stack.

A small server on this machine serves the console's static files (and a local eval report) itself and
forwards every other request to the stack's API Gateway URL, signed with SigV4 (botocore's ``SigV4Auth``,
service ``execute-api``) with the operator's own credentials. The API stays IAM-authorised and nothing is
opened to the network: the server listens on 127.0.0.1 unless told otherwise.
"""

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from enhancer.console import ASSETS, asset
from enhancer.httpserver import BackgroundHttpServer

SERVICE = "execute-api"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
FORWARDED_REQUEST_HEADERS = ("content-type", "accept")
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "cache-control",
    "content-security-policy",
    "x-content-type-options",
)
_STATIC = {"/": "index.html", **{f"/console/{name}": name for name in ASSETS}}
EVAL_PATH = "/console/eval-report"


@dataclass(frozen=True)
class ProxyTarget:
    api_url: str
    region: str
    credentials: Any  # botocore credentials: refreshed per request through get_frozen_credentials()
    eval_report: Path | None = None
    timeout_s: float = 30.0


def sign(
    method: str, url: str, headers: dict[str, str], body: bytes, credentials: Credentials, region: str
) -> dict[str, str]:
    """The headers to send: ``headers`` plus ``X-Amz-Date``, ``Authorization`` (and the session token)."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return dict(request.headers.items())


def _handler(target: ProxyTarget) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "doc-enhancer-console"

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            if self.command == "GET" and path in _STATIC:
                name = _STATIC[path]
                self._send(
                    200, {"Content-Type": ASSETS[name], "Cache-Control": "no-cache"}, asset(name).read_bytes()
                )
                return
            if self.command == "GET" and path == EVAL_PATH:
                self._eval_report()
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._error(413, "TOO_LARGE", "body over 10 MB")
                return
            body = self.rfile.read(length) if length else b""
            self._forward(body)

        def _forward(self, body: bytes) -> None:
            url = target.api_url.rstrip("/") + self.path
            headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
            credentials = target.credentials.get_frozen_credentials()
            signed = sign(self.command, url, headers, body, credentials, target.region)
            try:
                answer = requests.request(
                    self.command, url, headers=signed, data=body or None, timeout=target.timeout_s,
                    allow_redirects=False,
                )  # fmt: skip
            except requests.RequestException as exc:
                self._error(502, "UNAVAILABLE", f"the stack's API did not answer ({type(exc).__name__})")
                return
            kept = {k: v for k, v in answer.headers.items() if k.lower() in FORWARDED_RESPONSE_HEADERS}
            self._send(answer.status_code, kept, answer.content)

        def _eval_report(self) -> None:
            report = target.eval_report
            if report is None or not report.is_file():
                self._error(
                    404, "NOT_FOUND", "no eval report (run doc-enhancer eval, then pass --eval-report)"
                )
                return
            self._send(200, {"Content-Type": "application/json"}, report.read_bytes())

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            self._send(status, {"Content-Type": "application/json"}, body)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class ConsoleProxy(BackgroundHttpServer):
    """The console's local server for a deployed stack, on ``host:port`` (0: a free port)."""

    def __init__(self, target: ProxyTarget, host: str = "127.0.0.1", port: int = 8090) -> None:
        super().__init__(host, port, _handler(target), name="console-proxy")
