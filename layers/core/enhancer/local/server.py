"""The API on this machine: a small threaded HTTP server that turns each request into an API Gateway REST
proxy event, calls the real api function's ``lambda_handler`` and sends its answer back.

``LocalStack`` (below) is what ``doc-enhancer serve`` runs: the embedded emulation (or ``--endpoint-url``),
the resources, the pipeline's pollers kept running, and this server, until it is stopped.
"""

import base64
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from enhancer.httpserver import BackgroundHttpServer
from enhancer.local.functions import invoke, publish
from enhancer.observability import logger

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# One event at a time, as in a Lambda execution environment: the Powertools resolver keeps the current
# event on the app object, so two threads inside it at once answer each other's requests.
_API_INVOCATION = threading.Lock()


def rest_event(
    method: str, raw_path: str, headers: dict[str, str], body: bytes, *, source_ip: str = "127.0.0.1"
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway would send for this request to ``/{proxy+}``."""
    parts = urlsplit(raw_path)
    query = parse_qs(parts.query, keep_blank_values=True)
    now = datetime.now(UTC)
    text: str | None = None
    encoded = False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": "/{proxy+}",
        "path": parts.path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": parts.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": parts.path,
            "stage": "local",
            "protocol": "HTTP/1.1",
            "accountId": "000000000000",
            "apiId": "local",
            "requestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


class _ApiRequestHandler(BaseHTTPRequestHandler):
    server_version = "doc-enhancer-local"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, {}, json.dumps({"error": {"code": "TOO_LARGE", "message": "body over 10 MB"}}))
            return
        body = self.rfile.read(length) if length else b""
        event = rest_event(self.command, self.path, dict(self.headers.items()), body)
        try:
            with _API_INVOCATION:
                response = invoke("api", event)
        except Exception:  # the handler maps its own errors; this is the server's last resort
            logger.exception("api handler crashed")
            message = {"error": {"code": "INTERNAL", "message": "something went wrong on our side"}}
            self._send(500, {}, json.dumps(message))
            return
        headers = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        payload = response.get("body") or ""
        raw = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        self._send(int(response["statusCode"]), headers, raw)

    def _send(self, status: int, headers: dict[str, str], body: str | bytes) -> None:
        raw = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http %s", format % args)


class LocalApiServer(BackgroundHttpServer):
    """The api function over HTTP on ``host:port`` (0: a free port), as API Gateway would call it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        super().__init__(host, port, _ApiRequestHandler, name="api-server")

    def start(self) -> Self:
        publish("api")  # SnapStart: initialised when its version is published, before the first request
        return super().start()


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    endpoint_url: str | None = None
    provider: str | None = None
    workers: int | None = None
    stage: str = "local"
    retry_delay_s: int = 1
    time_scale: float = 1.0  # as in RunOptions
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class ServingStack:
    api_url: str
    endpoint_url: str
    env: dict[str, str]


@contextmanager
def serve_stack(options: ServeOptions) -> Iterator[ServingStack]:
    """Everything ``doc-enhancer serve`` keeps up, torn down in reverse order on exit."""
    from enhancer.local.limits import LocalLimits
    from enhancer.local.provision import provision
    from enhancer.local.runtime import LocalEventSources
    from enhancer.local.session import (
        FAKE_CREDENTIALS,
        _clear_caches,
        _endpoint,
        _environment,
    )
    from enhancer.pipeline.context import build_pipeline
    from enhancer.resources import QUEUES
    from enhancer.settings import get_settings

    with ExitStack() as stack:
        stack.enter_context(_handler_logs_to_stderr())
        endpoint = stack.enter_context(_endpoint(options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")))
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **{k: v for k, v in FAKE_CREDENTIALS.items() if not os.environ.get(k)},
            **options.extra_env,
        }
        if options.provider:
            env["LLM_PROVIDER"] = options.provider
        if options.workers:
            env["MAX_WORKERS"] = str(options.workers)
        stack.enter_context(_environment(env))
        limits = LocalLimits(time_scale=options.time_scale)
        resource_env = provision(options.stage, limits=limits)
        stack.enter_context(_environment(resource_env))
        _clear_caches()
        settings = get_settings()
        build_pipeline(settings)  # the config is loaded and checked before anything is served
        sources = LocalEventSources(
            {spec.key: resource_env[spec.env_var] for spec in QUEUES},
            enrich_workers=settings.llm.max_workers,
            retry_delay_s=options.retry_delay_s,
            limits=limits,
        ).start()
        stack.callback(sources.stop)
        server = LocalApiServer(options.host, options.port).start()
        stack.callback(server.stop)
        yield ServingStack(
            api_url=server.url, endpoint_url=endpoint, env={"AWS_ENDPOINT_URL": endpoint, **resource_env}
        )


@contextmanager
def _handler_logs_to_stderr() -> Iterator[None]:
    """The handlers' JSON log lines go to stderr while serving (stdout stays free), as the README says."""
    handler: Any = logger.registered_handler
    previous = getattr(handler, "stream", None)
    handler.setStream(sys.stderr)
    try:
        yield
    finally:
        if previous is not None:
            handler.setStream(previous)


def wait_forever(stop: threading.Event | None = None) -> None:
    """Block until Ctrl-C (or ``stop`` is set)."""
    event = stop or threading.Event()
    while not event.is_set():
        time.sleep(0.5)
