"""Enrich step: one chapter through the provider, its outcome in S3, and the fan-in to validation.

A chapter ends *done* or *failed*; failed means the provider gave up for good (``PermanentError``, e.g.
INVALID_LLM_OUTPUT) or kept failing with ``RetryableError`` until the message's last receive — then the
chapter is recorded failed (LLM_UNAVAILABLE) instead of dead-lettered, so the document finishes PARTIAL
rather than stalling in ENRICHING.
"""

import time

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.errors import PermanentError, RetryableError
from enhancer.models import (
    ChapterError,
    ChapterPayload,
    DocumentRecord,
    DocumentStatus,
    EnrichedChapter,
    EnrichMessage,
    ErrorCode,
    LlmCallInfo,
    Usage,
    ValidateMessage,
)
from enhancer.observability import MetricName, logger, metrics
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.keys import enriched_key
from enhancer.pipeline.lifecycle import one_line
from enhancer.providers.base import EnrichmentProvider, EnrichmentRequest
from enhancer.providers.resilience import RequestBudgetSpentError, requests_already_sent

UNANSWERED_MODEL = "(no answer)"


def enrich_chapter(
    pipeline: Pipeline, provider: EnrichmentProvider, message: EnrichMessage, *, final_attempt: bool
) -> dict[str, object]:
    """Enrich one chapter and record it; returns ``{"status", "validate_sent"}`` (the idempotent result).

    Resumable: each move is guarded by what the previous one left, so a redelivery after a crash at any
    point does only what is missing — the provider call when the chapter is not recorded, the fan-in claim
    and the validate message when this chapter claimed (or may claim) the fan-in."""
    record = _current_record(pipeline, message)
    if record is None:
        return {"status": "SKIPPED", "validate_sent": False}
    index = message.chapter_index
    if record.status == DocumentStatus.VALIDATING:
        if record.fan_in_chapter != index:
            logger.info("late duplicate: another chapter completed the set")
            return {"status": "SKIPPED", "validate_sent": False}
        # This chapter claimed the fan-in and may have died before the validate message went out.
        return {"status": "DONE", "validate_sent": _fan_in(pipeline, record, index)}
    if index in record.chapters_done or index in record.chapters_failed:
        updated = record  # an earlier attempt recorded it; only the fan-in may be left to do
        status = "DONE" if index in record.chapters_done else "FAILED"
    else:
        enriched = _run_provider(
            pipeline,
            provider,
            message,
            final_attempt=final_attempt,
            requests_sent=record.llm_requests.get(index, 0),
        )
        updated = _record(pipeline, enriched)
        status = "FAILED" if enriched.error else "DONE"
    return {"status": status, "validate_sent": _fan_in(pipeline, updated, index)}


def record_chapter_failure(pipeline: Pipeline, message: EnrichMessage, code: ErrorCode, text: str) -> None:
    """The failure table's FAIL_CHAPTER: the chapter is recorded failed so the document still finishes
    (nothing to do for an unknown document, another run's message or a document past enrichment)."""
    record = pipeline.documents.get(message.document_id)
    if record is None or record.run != message.run or record.status != DocumentStatus.ENRICHING:
        return
    index = message.chapter_index
    if index not in record.chapters_done and index not in record.chapters_failed:
        record = _record(pipeline, _failed(message, code, text, time.perf_counter()))
    _fan_in(pipeline, record, index)


def _current_record(pipeline: Pipeline, message: EnrichMessage) -> DocumentRecord | None:
    """The document when this message belongs to its current run and it is (or was) enriching; None when
    the message has nothing left to do (an earlier run's, or the document is finished)."""
    record = pipeline.documents.get(message.document_id)
    if record is None:
        raise PermanentError(f"document {message.document_id} does not exist", code=ErrorCode.INTERNAL)
    if record.run != message.run:
        logger.info(
            "enrich message of another run; dropped", extra={"run": message.run, "current": record.run}
        )
        return None
    if record.status in (DocumentStatus.RECEIVED, DocumentStatus.EXTRACTING):
        raise RetryableError("document is still extracting", code=ErrorCode.INTERNAL)
    if record.status.is_terminal:
        logger.info("late duplicate: document already finished", extra={"status": record.status})
        return None
    return record


def _record(pipeline: Pipeline, enriched: EnrichedChapter) -> DocumentRecord:
    """The outcome to S3, then the chapter into its set (with its usage) in one atomic update."""
    index = enriched.chapter_index
    pipeline.objects.put_json(pipeline.output_bucket, enriched_key(enriched.document_id, index), enriched)
    updated = pipeline.documents.record_chapter(
        enriched.document_id, index, failed=enriched.error is not None, usage=_usage(enriched)
    )
    _emit_metrics(enriched)
    return updated


def _run_provider(
    pipeline: Pipeline,
    provider: EnrichmentProvider,
    message: EnrichMessage,
    *,
    final_attempt: bool,
    requests_sent: int,
) -> EnrichedChapter:
    """The provider's answer for one chapter, or the chapter failed. A chapter has one budget of LLM requests
    across SQS receives (``requests_already_sent``): a receive that fails before spending it (rate limit,
    too little time left) counts what it sent and lets SQS redeliver; a spent budget, or the last receive,
    fails the chapter with ``LLM_UNAVAILABLE`` and reports the requests it sent."""
    payload = pipeline.objects.get_model(pipeline.output_bucket, message.chapter_key, ChapterPayload)
    profile_name, profile = pipeline.config.extraction_profiles.get(payload.profile)
    request = EnrichmentRequest(
        document_id=message.document_id,
        chapter_index=message.chapter_index,
        chapter_title=payload.chapter.title,
        text=payload.text,
        profile_name=profile_name,
        profile=profile,
        language=payload.language,
    )
    started = time.perf_counter()
    try:
        with requests_already_sent(requests_sent):
            outcome = provider.enrich_chapter(request)
    except PermanentError as exc:
        return _failed(message, exc.code, exc.message, started, provider, _attempts(exc))
    except RetryableError as exc:
        sent = requests_sent + _attempts(exc)
        if not (final_attempt or isinstance(exc, RequestBudgetSpentError)):
            if _attempts(exc):
                pipeline.documents.add_llm_requests(
                    message.document_id, message.chapter_index, _attempts(exc)
                )
            raise
        return _failed(
            message,
            ErrorCode.LLM_UNAVAILABLE,
            f"gave up after {sent} request(s): {exc}",
            started,
            provider,
            sent,
        )
    return EnrichedChapter(
        document_id=message.document_id,
        chapter_index=message.chapter_index,
        metadata=outcome.metadata,
        llm=outcome.llm,
        enrich_ms=int((time.perf_counter() - started) * 1000),
    )


def _attempts(exc: Exception) -> int:
    attempts = getattr(exc, "attempts", 0)
    return attempts if isinstance(attempts, int) else 0


def _failed(
    message: EnrichMessage,
    code: ErrorCode,
    text: str,
    started: float,
    provider: EnrichmentProvider | None = None,
    requests: int = 0,
) -> EnrichedChapter:
    """A failed chapter; the requests it sent without an answer are reported in its ``llm`` (no tokens)."""
    code = code if code in (ErrorCode.INVALID_LLM_OUTPUT, ErrorCode.LLM_UNAVAILABLE) else ErrorCode.INTERNAL
    logger.warning("chapter failed", extra={"error_code": code.value, "error_message": one_line(text)})
    llm = (
        LlmCallInfo(provider=provider.name, model=UNANSWERED_MODEL, attempts=requests, cached=False)
        if provider is not None and requests
        else None
    )
    return EnrichedChapter(
        document_id=message.document_id,
        chapter_index=message.chapter_index,
        error=ChapterError(code=code, message=one_line(text)),
        llm=llm,
        enrich_ms=int((time.perf_counter() - started) * 1000),
    )


def _usage(enriched: EnrichedChapter) -> Usage:
    return Usage.of_calls([enriched.llm] if enriched.llm else [])


def _emit_metrics(enriched: EnrichedChapter) -> None:
    """Chapter outcomes only. One owner per number: requests, errors and throttles are counted per request
    by ``CallBudget``, latency, tokens and cost per answer by ``StructuredLlmProvider``, cache hits by
    ``CachingProvider``; the offline provider sends no request, so it adds none of them."""
    name = MetricName.CHAPTERS_FAILED if enriched.error is not None else MetricName.CHAPTERS_ENRICHED
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def is_complete(record: DocumentRecord) -> bool:
    if record.chapter_count is None:
        return False
    return len(record.chapters_done | record.chapters_failed) >= record.chapter_count


def _fan_in(pipeline: Pipeline, record: DocumentRecord, chapter_index: int) -> bool:
    """Send the validate message when this chapter completed the set and won the conditional transition."""
    if not is_complete(record):
        return False
    if not pipeline.documents.claim_fan_in(record.document_id, chapter_index):
        return False
    pipeline.queues.send(
        pipeline.validate_queue_url, [ValidateMessage(document_id=record.document_id, run=record.run)]
    )
    logger.info("all chapters recorded; validation queued")
    return True
