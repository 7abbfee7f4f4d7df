"""Presigned URLs checked the way S3 checks them, in front of moto (which does not).

A presigned (SigV4 query) request names the headers its signature covers (``X-Amz-SignedHeaders``: for the
API's upload URL ``content-type``, ``host``, ``x-amz-meta-profile`` and, when ``size_bytes`` was declared,
``content-length``) and the path it may touch (the key). S3 recomputes the signature from the request it
received and refuses a different Content-Type, size, metadata or key (403 ``SignatureDoesNotMatch``) and an
expired URL (403 ``AccessDenied``). moto accepts any of these; ``guard_presigned`` is a WSGI middleware that
does S3's check first, with the secret key of this process's credentials (the ones the presigner used), and
leaves every other request (header-signed SDK calls) to moto unchanged.
"""

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_ALGORITHM = "AWS4-HMAC-SHA256"


def guard_presigned(app: Wsgi, secret_key: Callable[[], str | None] | None = None) -> Wsgi:
    """``app`` behind S3's checks of presigned requests; ``secret_key`` defaults to
    ``AWS_SECRET_ACCESS_KEY`` of this process, read at each request."""
    lookup = secret_key or (lambda: os.environ.get("AWS_SECRET_ACCESS_KEY"))

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        params = _query_pairs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Signature" not in dict(params):
            return app(environ, start_response)
        secret = lookup()
        problem = check_presigned(environ, params, secret) if secret else None
        if problem is None:
            return app(environ, start_response)
        code, message = problem
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        ).encode()
        start_response(
            "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return middleware


def check_presigned(
    environ: dict[str, Any], params: list[tuple[str, str]], secret: str, now: datetime | None = None
) -> tuple[str, str] | None:
    """None when the request is the one that was signed and the URL has not expired, else (code, message)
    as S3 answers them."""
    values = {unquote(k): unquote(v) for k, v in params}
    try:
        if values["X-Amz-Algorithm"] != _ALGORITHM:
            return "AuthorizationQueryParametersError", "only AWS4-HMAC-SHA256 presigned URLs are accepted"
        _, date, region, service, _terminator = values["X-Amz-Credential"].split("/")
        amz_date = values["X-Amz-Date"]
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(values["X-Amz-Expires"])
        signed_headers = values["X-Amz-SignedHeaders"]
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError", "the presigned URL's X-Amz-* parameters are incomplete"
    if (now or datetime.now(UTC)) > signed_at + timedelta(seconds=expires):
        return "AccessDenied", "Request has expired"
    canonical = "\n".join(
        [
            environ["REQUEST_METHOD"],
            _raw_path(environ),
            "&".join(f"{k}={v}" for k, v in sorted(p for p in params if p[0] != "X-Amz-Signature")),
            "".join(f"{name}:{_header(environ, name)}\n" for name in signed_headers.split(";")),
            signed_headers,
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join([_ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, values["X-Amz-Signature"]):
        return (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided: the request "
            f"must send exactly the signed headers ({signed_headers}) to the signed key",
        )
    return None


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """The raw (still percent-encoded) pairs, as SigV4 canonicalises them."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((name, value))
    return pairs


def _raw_path(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0]
    from urllib.parse import quote

    return quote(environ.get("PATH_INFO", "/"), safe="/~")


def _header(environ: dict[str, Any], name: str) -> str:
    if name == "content-type":
        value = environ.get("CONTENT_TYPE", "")
    elif name == "content-length":
        value = environ.get("CONTENT_LENGTH", "")
    else:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"), "")
    return " ".join(str(value).split())


def guarded_moto_server(host: str, port: int) -> Any:
    """moto's ``ThreadedMotoServer`` whose WSGI app is behind ``guard_presigned``."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class GuardedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = guard_presigned(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return GuardedMotoServer(ip_address=host, port=port, verbose=False)
