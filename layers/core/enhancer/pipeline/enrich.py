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
    Usage,
    ValidateMessage,
)
from enhancer.observability import MetricName, logger, metrics
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.keys import enriched_key
from enhancer.pipeline.lifecycle import one_line
from enhancer.providers.base import EnrichmentProvider, EnrichmentRequest


def enrich_chapter(
    pipeline: Pipeline, provider: EnrichmentProvider, message: EnrichMessage, *, final_attempt: bool
) -> dict[str, object]:
    """Enrich one chapter and record it; returns ``{"status", "validate_sent"}`` (the idempotent result)."""
    record = pipeline.documents.get(message.document_id)
    if record is None:
        raise PermanentError(f"document {message.document_id} does not exist", code=ErrorCode.INTERNAL)
    if record.status != DocumentStatus.ENRICHING:
        if record.status == DocumentStatus.EXTRACTING:
            raise RetryableError("document is still extracting", code=ErrorCode.INTERNAL)
        logger.info("late duplicate: document already past enrichment", extra={"status": record.status})
        return {"status": "SKIPPED", "validate_sent": False}

    index = message.chapter_index
    if index in record.chapters_done or index in record.chapters_failed:
        updated = record  # an earlier attempt recorded it; only the fan-in may be left to do
        status = "DONE" if index in record.chapters_done else "FAILED"
    else:
        enriched = _run_provider(pipeline, provider, message, final_attempt=final_attempt)
        pipeline.objects.put_json(pipeline.output_bucket, enriched_key(message.document_id, index), enriched)
        usage = _usage(enriched)
        updated = pipeline.documents.record_chapter(
            message.document_id, index, failed=enriched.error is not None, usage=usage
        )
        status = "FAILED" if enriched.error else "DONE"
        _emit_metrics(enriched)
    return {"status": status, "validate_sent": _fan_in(pipeline, updated, index)}


def _run_provider(
    pipeline: Pipeline, provider: EnrichmentProvider, message: EnrichMessage, *, final_attempt: bool
) -> EnrichedChapter:
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
        outcome = provider.enrich_chapter(request)
    except PermanentError as exc:
        return _failed(message, exc.code, exc.message, started)
    except RetryableError as exc:
        if not final_attempt:
            raise
        return _failed(message, ErrorCode.LLM_UNAVAILABLE, f"gave up after the last retry: {exc}", started)
    return EnrichedChapter(
        document_id=message.document_id,
        chapter_index=message.chapter_index,
        metadata=outcome.metadata,
        llm=outcome.llm,
        enrich_ms=int((time.perf_counter() - started) * 1000),
    )


def _failed(message: EnrichMessage, code: ErrorCode, text: str, started: float) -> EnrichedChapter:
    code = code if code in (ErrorCode.INVALID_LLM_OUTPUT, ErrorCode.LLM_UNAVAILABLE) else ErrorCode.INTERNAL
    logger.warning("chapter failed", extra={"error_code": code.value, "error_message": one_line(text)})
    return EnrichedChapter(
        document_id=message.document_id,
        chapter_index=message.chapter_index,
        error=ChapterError(code=code, message=one_line(text)),
        enrich_ms=int((time.perf_counter() - started) * 1000),
    )


def _usage(enriched: EnrichedChapter) -> Usage:
    return Usage.of_calls([enriched.llm] if enriched.llm else [])


def _emit_metrics(enriched: EnrichedChapter) -> None:
    if enriched.error is not None:
        metrics.add_metric(name=MetricName.CHAPTERS_FAILED, unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=MetricName.LLM_ERRORS, unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name=MetricName.CHAPTERS_ENRICHED, unit=MetricUnit.Count, value=1)
    llm = enriched.llm
    if llm is None:
        return
    if llm.cached:
        metrics.add_metric(name=MetricName.CACHE_HITS, unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name=MetricName.LLM_CALLS, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=MetricName.LLM_LATENCY, unit=MetricUnit.Milliseconds, value=llm.latency_ms)
    metrics.add_metric(name=MetricName.INPUT_TOKENS, unit=MetricUnit.Count, value=llm.input_tokens)
    metrics.add_metric(name=MetricName.OUTPUT_TOKENS, unit=MetricUnit.Count, value=llm.output_tokens)
    metrics.add_metric(
        name=MetricName.ESTIMATED_COST_USD, unit=MetricUnit.NoUnit, value=llm.estimated_cost_usd
    )


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
    pipeline.queues.send(pipeline.validate_queue_url, [ValidateMessage(document_id=record.document_id)])
    logger.info("all chapters recorded; validation queued")
    return True
