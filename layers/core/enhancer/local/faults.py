"""A fault-injecting HTTP proxy in front of the AWS emulation: what a flaky network or a bad minute of S3,
SQS or DynamoDB looks like to the SDKs, so the pipeline's failure handling is proved against real 500s.

Point ``AWS_ENDPOINT_URL`` (or ``doc-enhancer run --endpoint-url``) at ``FaultProxy.url``; requests go to
the emulation unchanged (headers included, so SigV4 signatures still verify), except those a plan fails:
those get HTTP 500 with the protocol's own error body (``InternalFailure`` / ``InternalError``), which the
SDKs retry, and past their retries our code sees. Two plans:

- ``CallPlan``: fail chosen *logical calls* (one SDK call with all its retries, told apart by the SDK's
  ``amz-sdk-invocation-id`` header), counted from ``arm()`` — "the N-th AWS call of this step fails".
- ``BurstPlan``: seeded random bursts — a request starts a burst with probability ``rate``, and the next
  ``length`` requests (1 to ``max_burst``, so some outlast the SDK's retries) fail too.
"""

import http.client
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from enhancer.httpserver import BackgroundHttpServer

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    target: str  # X-Amz-Target for JSON protocols (DynamoDB, SQS), "" for S3
    invocation_id: str

    @property
    def operation(self) -> str:
        if self.target:
            return self.target.rsplit(".", 1)[-1]
        return f"S3 {self.method} {self.path.split('?', 1)[0]}"


class CallPlan:
    """Fail the logical calls numbered in ``fail`` (1-based, counted from ``arm``); ``exempt`` requests
    are neither counted nor failed."""

    def __init__(self, exempt: Callable[[Request], bool] = lambda r: False) -> None:
        self._lock = threading.Lock()
        self._exempt = exempt
        self._armed = False
        self._fail: frozenset[int] = frozenset()
        self._calls: dict[str, int] = {}
        self.operations: list[str] = []
        self.failed_requests = 0

    def arm(self, fail: set[int] | frozenset[int] = frozenset()) -> None:
        with self._lock:
            self._armed, self._fail, self._calls, self.operations = True, frozenset(fail), {}, []

    def disarm(self) -> int:
        """Stop counting; the number of logical calls seen while armed."""
        with self._lock:
            self._armed = False
            return len(self._calls)

    def __call__(self, request: Request) -> bool:
        if self._exempt(request):
            return False
        with self._lock:
            if not self._armed:
                return False
            number = self._calls.get(request.invocation_id)
            if number is None:
                number = self._calls[request.invocation_id or f"anonymous-{len(self._calls)}"] = (
                    len(self._calls) + 1
                )
                self.operations.append(request.operation)
            failed = number in self._fail
            self.failed_requests += failed
            return failed


@dataclass
class BurstPlan:
    """Seeded bursts of failing requests: ``rate`` of requests start one of 1 to ``max_burst`` requests."""

    rate: float
    seed: int
    max_burst: int = 8
    exempt: Callable[[Request], bool] = lambda r: False
    requests: int = 0
    failed_requests: int = 0
    bursts: list[int] = field(default_factory=list)
    _left: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def __call__(self, request: Request) -> bool:
        if self.exempt(request):
            return False
        with self._lock:
            self.requests += 1
            if self._left == 0 and self._random.random() < self.rate:
                self._left = self._random.randint(1, self.max_burst)
                self.bursts.append(self._left)
            if self._left == 0:
                return False
            self._left -= 1
            self.failed_requests += 1
            return True


class FaultProxy(BackgroundHttpServer):
    """A threaded reverse proxy on 127.0.0.1 (a free port) to ``target_url``, failing what ``plan`` says."""

    def __init__(self, target_url: str, plan: Callable[[Request], bool]) -> None:
        self.target = urlsplit(target_url)
        self.plan = plan
        super().__init__("127.0.0.1", 0, self._handler_class(), name="fault-proxy")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _relay(self) -> None:
                body = self._body()
                request = Request(
                    self.command,
                    self.path,
                    self.headers.get("X-Amz-Target", ""),
                    self.headers.get("amz-sdk-invocation-id", ""),
                )
                if proxy.plan(request):
                    self._fail(request)
                    return
                connection = http.client.HTTPConnection(
                    proxy.target.hostname or "127.0.0.1", proxy.target.port, timeout=120
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    self.send_response(response.status, response.reason)
                    for name, value in response.getheaders():
                        if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                finally:
                    connection.close()

            def _fail(self, request: Request) -> None:
                if request.target:
                    payload = b'{"__type": "InternalFailure", "message": "injected by the fault proxy"}'
                    content_type = "application/x-amz-json-1.0"
                else:
                    payload = (
                        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code>"
                        b"<Message>injected by the fault proxy</Message></Error>"
                    )
                    content_type = "application/xml"
                self.send_response(500, "Internal Server Error")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _relay

        return Handler
