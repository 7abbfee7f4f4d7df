"""The documents API's logic: upload tickets, status, results, listing and reprocess.

Plain functions over ``ApiServices``; they raise ``ApiError`` subclasses for the caller's mistakes and let
storage errors propagate (the resolver maps those to 503/500 without their text).
"""

import base64
import binascii
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from enhancer.api.errors import ApiErrorCode, BadRequest, Conflict, NotFound, TooLarge
from enhancer.api.models import (
    DOCUMENT_ID_PATTERN,
    PDF_CONTENT_TYPE,
    DocumentPage,
    DocumentView,
    ReprocessAccepted,
    ResultLink,
    UploadRequest,
    UploadTicket,
)
from enhancer.api.services import ApiServices
from enhancer.errors import PipelineError
from enhancer.models import DocumentRecord, DocumentResult, DocumentStatus, ErrorCode
from enhancer.pipeline.records import REPROCESS_RUN_ATTRIBUTE
from enhancer.resources import INCOMING_PREFIX, table
from enhancer.storage import ObjectNotFound


def create_upload(services: ApiServices, request: UploadRequest) -> UploadTicket:
    """A fresh document id and a presigned PUT to ``incoming/{document_id}/{filename}``; the extract step
    takes the id from that key, so the caller can poll it as soon as S3 has delivered the upload."""
    if not request.filename.lower().endswith(".pdf"):
        raise BadRequest("filename must end in .pdf: only PDF documents are accepted", ApiErrorCode.NOT_A_PDF)
    if request.size_bytes is not None and request.size_bytes > services.max_file_bytes:
        raise TooLarge(
            f"size_bytes {request.size_bytes} exceeds the limit of {services.max_file_bytes} bytes"
        )
    if request.profile is not None and request.profile not in services.profiles:
        raise BadRequest(
            f"unknown profile {request.profile!r}; one of: {', '.join(sorted(services.profiles))}"
        )
    document_id = uuid.uuid4().hex
    key = f"{INCOMING_PREFIX}{document_id}/{request.filename}"
    metadata = {"profile": request.profile} if request.profile else None
    url = services.presigner.presign_put(
        services.input_bucket,
        key,
        content_type=PDF_CONTENT_TYPE,
        expires_in=services.upload_expires_s,
        content_length=request.size_bytes,
        metadata=metadata,
    )
    headers = {"Content-Type": PDF_CONTENT_TYPE}
    if metadata:
        headers["x-amz-meta-profile"] = metadata["profile"]
    return UploadTicket(
        document_id=document_id,
        upload_url=url,
        upload_headers=headers,
        key=key,
        expires_in=services.upload_expires_s,
        max_bytes=services.max_file_bytes,
    )


def view(record: DocumentRecord) -> DocumentView:
    return DocumentView(
        **record.model_dump(exclude={"chapters_done", "chapters_failed"}),
        chapters_done=len(record.chapters_done),
        chapters_failed=len(record.chapters_failed),
        result_available=bool(record.result_key) and record.status.is_terminal,
    )


def _record(services: ApiServices, document_id: str) -> DocumentRecord:
    record = services.documents.get(document_id)
    if record is None:
        raise NotFound(
            f"no document {document_id} (an upload appears once S3 has delivered it, usually within seconds)"
        )
    return record


def get_document(services: ApiServices, document_id: str) -> DocumentView:
    return view(_record(services, document_id))


def get_result(services: ApiServices, document_id: str) -> DocumentResult | ResultLink:
    """The result JSON inline, or a presigned GET when it is larger than API Gateway should carry."""
    record = _record(services, document_id)
    if not (record.status.is_terminal and record.result_key):
        raise Conflict(
            f"document {document_id} is {record.status.value}; its result is written when it finishes",
            ApiErrorCode.RESULT_NOT_READY,
        )
    info = services.objects.head(services.output_bucket, record.result_key)
    if info.size_bytes > services.inline_result_max_bytes:
        url = services.presigner.presign_get(
            services.output_bucket, record.result_key, expires_in=services.result_url_expires_s
        )
        return ResultLink(
            document_id=document_id,
            result_url=url,
            expires_in=services.result_url_expires_s,
            size_bytes=info.size_bytes,
        )
    return services.objects.get_model(services.output_bucket, record.result_key, DocumentResult)


def encode_token(status: DocumentStatus | None, key: dict[str, Any]) -> str:
    raw = json.dumps({"s": status.value if status else None, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, status: DocumentStatus | None) -> dict[str, Any]:
    """The continuation key inside an opaque token; a token from another listing is bad input."""
    try:
        padded = token + "=" * (-len(token) % 4)
        parsed = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = parsed["k"]
        same_listing = parsed["s"] == (status.value if status else None)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadRequest("next_token is not a token this API issued") from exc
    if not same_listing or not isinstance(key, dict) or "document_id" not in key:
        raise BadRequest("next_token belongs to a different listing (status must stay the same)")
    if not _is_continuation_key(key, status):
        raise BadRequest("next_token is not a token this API issued")
    return key


def _is_continuation_key(key: dict[str, Any], status: DocumentStatus | None) -> bool:
    """Exactly the shape DynamoDB hands back for this listing, so a hand-made token is bad input, not a
    failed call: the table key, plus the status index's keys when listing by status."""
    index = table("documents").gsis[0]
    expected = {"document_id"} | ({index.partition_key, index.sort_key or ""} - {""} if status else set())
    if set(key) != expected:
        return False
    values = {
        name: value.get("S") if isinstance(value, dict) and len(value) == 1 else None
        for name, value in key.items()
    }
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in values.values()):
        return False
    return bool(re.fullmatch(DOCUMENT_ID_PATTERN, values["document_id"] or "")) and (
        status is None or values[index.partition_key] == status.value
    )


def list_documents(
    services: ApiServices, status: DocumentStatus | None, limit: int, next_token: str | None
) -> DocumentPage:
    start = decode_token(next_token, status) if next_token else None
    records, last_key = services.documents.page(status, limit=limit, start_key=start)
    return DocumentPage(
        items=[view(r) for r in records],
        next_token=encode_token(status, last_key) if last_key else None,
    )


def reprocess(services: ApiServices, document_id: str) -> ReprocessAccepted:
    """Run a finished document again from extraction (the LLM cache makes unchanged chapters free).

    A conditional write moves it back to RECEIVED with ``run`` + 1; the fresh ingest message carries that run,
    which the extract and enrich idempotency keys include, so the earlier run's records do not short-circuit
    the new one. 409 while the document is still running."""
    record = _record(services, document_id)
    if not record.status.is_terminal:
        raise Conflict(f"document {document_id} is {record.status.value}; reprocess it once it has finished")
    try:
        info = services.objects.head(record.source_bucket, record.source_key)
    except ObjectNotFound as exc:
        raise Conflict(f"the uploaded file of document {document_id} no longer exists") from exc
    reset = services.documents.reset_for_reprocess(document_id)
    if reset is None:
        raise Conflict(f"document {document_id} changed state; reprocess it once it has finished")
    body = s3_notification(
        services.region, record.source_bucket, record.source_key, info.size_bytes, info.etag
    )
    try:
        services.queues.send_message(
            services.queue_urls["ingest"], body, {REPROCESS_RUN_ATTRIBUTE: str(reset.run)}
        )
    except PipelineError:
        # Never leave it in RECEIVED with nothing queued: FAILED can be reprocessed again.
        services.documents.transition(
            document_id,
            DocumentStatus.RECEIVED,
            DocumentStatus.FAILED,
            error_code=ErrorCode.INTERNAL.value,
            error_message="reprocess could not be queued; try again",
        )
        raise
    return ReprocessAccepted(document_id=document_id, status=reset.status, run=reset.run)


def s3_notification(region: str, bucket: str, key: str, size: int, etag: str) -> str:
    """An S3 ObjectCreated notification for an existing object, shaped like the ones S3 sends to SQS."""
    now = datetime.now(UTC)
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "reprocess",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": size,
                "eTag": etag,
                "sequencer": f"{int(now.timestamp() * 1_000_000):X}",
            },
        },
    }
    return json.dumps({"Records": [record]})
