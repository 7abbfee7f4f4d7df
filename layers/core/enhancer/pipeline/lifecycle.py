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
        completed_at=record.updated_at if record.status.is_terminal else utcnow(),
    )


def fail_document(
    pipeline: Pipeline, document_id: str, code: ErrorCode, message: str, *, sha256: str | None = None
) -> bool:
    """End a non-terminal document FAILED; True when this call moved it.

    Resumable, in three guarded moves: the conditional transition decides (only its winner goes on), the
    failed result JSON is written, then ``result_key`` is set. A call that finds the document FAILED without
    a ``result_key`` (an earlier call died between the moves) writes the result and sets the key; one that
    finds it finished otherwise does nothing. The result is written after the decision, never before, so a
    caller that loses the race cannot overwrite the winner's result."""
    message = one_line(message)
    record = pipeline.documents.get(document_id)
    if record is None:
        return False
    moved = False
    if not record.status.is_terminal:
        moved = pipeline.documents.transition(
            document_id,
            [record.status],
            DocumentStatus.FAILED,
            error_code=code.value,
            error_message=message,
            sha256=sha256,
        )
        if not moved:  # someone else moved it first: finish what they may have left undone
            fail_document(pipeline, document_id, code, message, sha256=sha256)
            return False
        logger.warning("document failed", extra={"error_code": code.value, "error_message": message})
        metrics.add_metric(name=MetricName.DOCUMENTS_FAILED, unit=MetricUnit.Count, value=1)
        record = record.model_copy(
            update={
                "status": DocumentStatus.FAILED,
                "error_code": code,
                "error_message": message,
                "sha256": sha256 or record.sha256,
            }
        )
    if record.status == DocumentStatus.FAILED and record.result_key is None:
        write_failed_result(pipeline, record)
    return moved


def write_failed_result(pipeline: Pipeline, record: DocumentRecord) -> None:
    """The failed result JSON of a FAILED document, from its record, then ``result_key`` on the record."""
    key = result_key(record.document_id)
    code = record.error_code or ErrorCode.INTERNAL
    pipeline.objects.put_json(
        pipeline.output_bucket, key, failed_result(record, code, record.error_message or code.value)
    )
    pipeline.documents.set_result_key(record.document_id, key)


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
