"""Ending a document FAILED, from wherever the failure is noticed (bad PDF, last retry, dead letter).

Every path goes through ``fail_document`` so a failed document always has the same shape: status FAILED with
its code and one-line message in DynamoDB, and a result JSON with empty pdf/chapters in ``results/``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.models import DocumentRecord, DocumentResult, DocumentStatus, ErrorCode, SourceInfo
from enhancer.observability import MetricName, logger, metrics
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.keys import result_key
from enhancer.storage.documents import utcnow

NON_TERMINAL = (
    DocumentStatus.RECEIVED,
    DocumentStatus.EXTRACTING,
    DocumentStatus.ENRICHING,
    DocumentStatus.VALIDATING,
)


def one_line(message: str, limit: int = 300) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def failed_result(record: DocumentRecord, code: ErrorCode, message: str) -> DocumentResult:
    now = utcnow()
    return DocumentResult(
        document_id=record.document_id,
        source=SourceInfo(
            bucket=record.source_bucket,
            key=record.source_key,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
        ),
        status=DocumentStatus.FAILED,
        error_code=code,
        error_message=message,
        profile=record.profile,
        pdf=None,
        document=None,
        chapters=[],
        created_at=record.created_at,
        completed_at=now,
    )


def fail_document(
    pipeline: Pipeline, document_id: str, code: ErrorCode, message: str, *, sha256: str | None = None
) -> bool:
    """Move a non-terminal document to FAILED and write its result JSON; False when it was already terminal
    (or unknown), in which case nothing is written."""
    message = one_line(message)
    record = pipeline.documents.get(document_id)
    if record is None or record.status.is_terminal:
        return False
    if sha256:
        record = record.model_copy(update={"sha256": sha256})
    key = result_key(document_id)
    pipeline.objects.put_json(pipeline.output_bucket, key, failed_result(record, code, message))
    moved = pipeline.documents.transition(
        document_id,
        [record.status],
        DocumentStatus.FAILED,
        error_code=code.value,
        error_message=message,
        result_key=key,
        sha256=sha256,
    )
    if moved:
        logger.warning("document failed", extra={"error_code": code.value, "error_message": message})
        metrics.add_metric(name=MetricName.DOCUMENTS_FAILED, unit=MetricUnit.Count, value=1)
    return moved


@contextmanager
def log_keys(document_id: str | None = None, chapter_index: int | None = None) -> Iterator[None]:
    """``document_id`` and ``chapter_index`` on every log line of this record (thread-safe: the local
    runtime runs enrich workers as threads)."""
    keys = {
        k: v for k, v in {"document_id": document_id, "chapter_index": chapter_index}.items() if v is not None
    }
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(keys.keys())
