"""The API's routes on Powertools' REST resolver: validation of requests and responses, the OpenAPI document,
and the one place where errors become HTTP answers."""

import json
import os
from functools import lru_cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from enhancer.api import documents, health
from enhancer.api.errors import (
    INTERNAL_MESSAGE,
    UNAVAILABLE_MESSAGE,
    ApiError,
    ApiErrorCode,
)
from enhancer.api.models import (
    DOCUMENT_ID_PATTERN,
    DetailedHealth,
    DocumentPage,
    DocumentView,
    ErrorBody,
    ErrorDetail,
    Health,
    ReprocessAccepted,
    ResultLink,
    UploadRequest,
    UploadTicket,
)
from enhancer.api.services import ApiServices, build_services
from enhancer.config import get_app_config
from enhancer.errors import RetryableError
from enhancer.models import DocumentResult, DocumentStatus
from enhancer.observability import logger
from enhancer.settings import get_settings

API_TITLE = "LLM Document Enhancer API"
API_VERSION = "1.0.0"
MAX_PAGE = 100

app = APIGatewayRestResolver(enable_validation=True)

DocumentId = Annotated[str, Path(pattern=DOCUMENT_ID_PATTERN, description="32 lower-case hex characters")]


@lru_cache(maxsize=4)
def _services(_endpoint: str | None) -> ApiServices:
    settings = get_settings()
    return build_services(
        settings.storage,
        settings.llm,
        max_file_bytes=settings.extraction.max_file_bytes,
        profiles=frozenset(get_app_config(settings.extraction.config_dir).extraction_profiles.profiles),
    )


def services() -> ApiServices:
    """Built at the first request and kept (per endpoint, for tests and the local server)."""
    return _services(os.environ.get("AWS_ENDPOINT_URL"))


MAX_BODY_DEPTH = 32  # the deepest body a route takes is 2 levels; deeper JSON is refused before parsing


def _error(
    status: HTTPStatus | int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response[ErrorBody]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


_ERRORS = {
    400: {"description": "bad input", "content": {"application/json": {"model": ErrorBody}}},
    404: {"description": "unknown document", "content": {"application/json": {"model": ErrorBody}}},
    409: {"description": "conflicting state", "content": {"application/json": {"model": ErrorBody}}},
    413: {"description": "file too large", "content": {"application/json": {"model": ErrorBody}}},
    503: {"description": "dependency unavailable", "content": {"application/json": {"model": ErrorBody}}},
}


def _responses(success: int, description: str, *errors: int) -> dict[int, Any]:
    """The success answer's schema comes from the route's return type; the errors share ``ErrorBody``."""
    return {success: {"description": description}, **{code: _ERRORS[code] for code in errors}}


@app.get("/health", summary="Liveness", tags=["health"])
def get_health() -> Health:
    return health.liveness()


@app.get(
    "/health/detailed",
    summary="Every dependency checked, with its latency",
    tags=["health"],
    responses={
        200: {
            "description": "healthy or degraded",
            "content": {"application/json": {"model": DetailedHealth}},
        },
        503: {"description": "unhealthy", "content": {"application/json": {"model": DetailedHealth}}},
    },
)
def get_health_detailed() -> Response[DetailedHealth]:
    report = health.detailed_health(services())
    status = HTTPStatus.SERVICE_UNAVAILABLE if report.status == "unhealthy" else HTTPStatus.OK
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=report)


@app.post(
    "/documents",
    summary="Get a presigned URL to upload one PDF",
    tags=["documents"],
    responses=_responses(201, "upload ticket", 400, 413),
)
def post_document(request: UploadRequest) -> Response[UploadTicket]:
    ticket = documents.create_upload(services(), request)
    return Response(status_code=HTTPStatus.CREATED, content_type=content_types.APPLICATION_JSON, body=ticket)


@app.get(
    "/documents",
    summary="List documents, newest first per status",
    tags=["documents"],
    responses=_responses(200, "one page of documents", 400),
)
def list_documents(
    status: Annotated[DocumentStatus | None, Query(description="only documents in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> DocumentPage:
    return documents.list_documents(services(), status, limit, next_token)


@app.get(
    "/documents/<document_id>",
    summary="Status record",
    tags=["documents"],
    responses=_responses(200, "the status record", 400, 404),
)
def get_document(document_id: DocumentId) -> DocumentView:
    return documents.get_document(services(), document_id)


@app.get(
    "/documents/<document_id>/result",
    summary="The result JSON (or a presigned URL to it when larger than 5 MB)",
    tags=["documents"],
    responses=_responses(200, "the result JSON or a link to it", 400, 404, 409),
)
def get_result(document_id: DocumentId) -> DocumentResult | ResultLink:
    return documents.get_result(services(), document_id)


@app.post(
    "/documents/<document_id>/reprocess",
    summary="Run a finished document again from extraction",
    tags=["documents"],
    responses=_responses(202, "queued for extraction", 400, 404, 409, 503),
)
def post_reprocess(document_id: DocumentId) -> Response[ReprocessAccepted]:
    accepted = documents.reprocess(services(), document_id)
    return Response(
        status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=accepted
    )


@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response[ErrorBody]:
    return _error(exc.status, exc.code.value, exc.message)


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[ErrorBody]:
    errors = list(exc.errors())
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        message = "the body is not valid JSON"
    else:
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        message = f"{where}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return _error(HTTPStatus.BAD_REQUEST, ApiErrorCode.INVALID_REQUEST.value, message)


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[ErrorBody]:
    label = app.current_event.headers.get("content-type", "")
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ApiErrorCode.INVALID_REQUEST.value, _not_json(label))


def _not_json(label: str) -> str:
    return f"Content-Type {label[:100]!r} is not accepted: send the body as application/json"


@app.exception_handler(ServiceError)
def _resolver_error(exc: ServiceError) -> Response[ErrorBody]:
    """The resolver's own errors (and any ``ServiceError`` a route raises) keep their status, in our body."""
    known = exc.status_code in HTTPStatus._value2member_map_
    status = HTTPStatus(exc.status_code) if known else HTTPStatus.BAD_REQUEST
    if status >= 500:
        logger.error("resolver error", extra={"status": int(status), "error": exc.msg})
        return _error(status, ApiErrorCode.INTERNAL.value, INTERNAL_MESSAGE)
    code = ApiErrorCode.NOT_FOUND if status == HTTPStatus.NOT_FOUND else ApiErrorCode.INVALID_REQUEST
    return _error(status, code.value, " ".join(str(exc.msg).split())[:300] or status.phrase)


@app.exception_handler(RecursionError)
def _too_deep(exc: RecursionError) -> Response[ErrorBody]:
    return _error(HTTPStatus.BAD_REQUEST, ApiErrorCode.INVALID_REQUEST.value, "the body is nested too deeply")


@app.not_found
def _not_found(exc: NotFoundError) -> Response[ErrorBody]:
    """404 for an unknown path; 405 with ``Allow`` for a known path asked with a method it does not take."""
    allowed = allowed_methods(app.current_event.path)
    if allowed:
        return _error(
            HTTPStatus.METHOD_NOT_ALLOWED,
            ApiErrorCode.METHOD_NOT_ALLOWED.value,
            f"{app.current_event.http_method.upper()[:10]} is not allowed here; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    return _error(HTTPStatus.NOT_FOUND, ApiErrorCode.NOT_FOUND.value, "no such route")


def allowed_methods(path: str) -> list[str]:
    """The methods the routes take on ``path`` (HEAD wherever GET is), sorted; empty for an unknown path."""
    methods = {
        route.method.upper()
        for route in (*app._static_routes, *app._dynamic_routes)
        if route.rule.match(path)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


@app.exception_handler(RetryableError)
def _unavailable(exc: RetryableError) -> Response[ErrorBody]:
    logger.warning("dependency unavailable", extra={"error": exc.message})
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, ApiErrorCode.UNAVAILABLE.value, UNAVAILABLE_MESSAGE)


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response[ErrorBody]:
    logger.exception("unexpected error")
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, ApiErrorCode.INTERNAL.value, INTERNAL_MESSAGE)


from enhancer.api import console  # noqa: E402  (its routes import this module's services lazily)

app.include_router(console.router)


def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The handler's entry. Every body this API takes is JSON, but ``curl -d`` labels it
    ``application/x-www-form-urlencoded``; such bodies (and unlabelled ones) are read as JSON; a multipart
    body is refused 415 like any other type. A body nested deeper than ``MAX_BODY_DEPTH`` is refused before
    anything parses it. HEAD is answered as GET without the body."""
    if not isinstance(event, dict) or not isinstance(event.get("httpMethod"), str):
        return _bare_error(HTTPStatus.BAD_REQUEST, "not an API Gateway request")
    if event["httpMethod"].upper() == "HEAD":
        response = resolve({**event, "httpMethod": "GET", "body": None, "isBase64Encoded": False}, context)
        return {**response, "body": "", "isBase64Encoded": False}
    body = event.get("body")
    if isinstance(body, str) and _nesting_depth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH:
        return _bare_error(HTTPStatus.BAD_REQUEST, f"the body is nested deeper than {MAX_BODY_DEPTH} levels")
    label = _content_type(event)
    if event["httpMethod"].upper() in BODY_METHODS and label.lower().startswith("multipart/"):
        # Powertools would parse a multipart body itself (and raise ValueError, a 500, without a boundary)
        return _bare_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, _not_json(label))
    return app.resolve(_json_labelled(event), context)


BODY_METHODS = ("POST", "PUT", "PATCH")


def _bare_error(status: HTTPStatus, message: str) -> dict[str, Any]:
    """An error answered before the resolver runs (same body, same content type)."""
    body = ErrorBody(error=ErrorDetail(code=ApiErrorCode.INVALID_REQUEST.value, message=message))
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "multiValueHeaders": {"Content-Type": [content_types.APPLICATION_JSON]},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


def _nesting_depth(text: str, limit: int) -> int:
    """How deep ``[``/``{`` nest outside JSON strings, counted only up to ``limit + 1``."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    return str(next((v for k, v in headers.items() if k.lower() == "content-type"), "") or "")


def _json_labelled(event: dict[str, Any]) -> dict[str, Any]:
    headers = event.get("headers") or {}
    label = _content_type(event)
    if event.get("body") and (not label or label.startswith("application/x-www-form-urlencoded")):
        event = {
            **event,
            "headers": {
                **{k: v for k, v in headers.items() if k.lower() != "content-type"},
                "Content-Type": "application/json",
            },
            "multiValueHeaders": {
                **{
                    k: v
                    for k, v in (event.get("multiValueHeaders") or {}).items()
                    if k.lower() != "content-type"
                },
                "Content-Type": ["application/json"],
            },
        }
    return event


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document generated from the routes. Powertools documents request validation errors as
    422; this API answers them with 400 and ``ErrorBody`` (``_invalid_request``), and a body labelled other
    than JSON with 415, and the document says so."""
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=API_TITLE,
            version=API_VERSION,
            description="Upload PDFs, follow their status, fetch the validated metadata. IAM (SigV4) on AWS.",
        )
    )
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
            if operation.get("parameters") or operation.get("requestBody"):
                operation["responses"].setdefault("400", {"description": "bad input"})
                operation["responses"]["400"]["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                }
            if operation.get("requestBody"):
                operation["responses"]["415"] = {
                    "description": "the body is labelled as something other than JSON",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                }
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
