"""Validate step: assemble the result JSON, reduce document-level metadata, apply the rules, finish.

One validate message at a time finishes a document: it first claims it (``claim_validation``: the same
message may claim again after a crash, another only once the holder's lease ran out), then writes the
result, then makes the conditional VALIDATING → terminal transition. A duplicate that cannot claim writes
nothing. If the transition is lost anyway (the sweeper failed the document meanwhile), the loser rewrites
the failed result from the record, so ``results/`` always matches the status.
"""

import re
import time
from collections import Counter
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.config import ProfileConfig
from enhancer.errors import PermanentError, RetryableError
from enhancer.loops import thread_map
from enhancer.models import (
    ChapterError,
    ChapterResult,
    ChapterStatus,
    DocumentMetadata,
    DocumentRecord,
    DocumentResult,
    DocumentStatus,
    EnrichedChapter,
    ErrorCode,
    LlmCallInfo,
    Severity,
    Timings,
    Usage,
    ValidateMessage,
    ValidationIssue,
)
from enhancer.observability import MetricName, logger, metrics
from enhancer.ocr.pricing import ocr_usage
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.keys import enriched_key, manifest_key, result_key
from enhancer.pipeline.lifecycle import one_line, write_failed_result
from enhancer.pipeline.models import ExtractionManifest
from enhancer.pipeline.validation import validate_result
from enhancer.providers.base import EnrichmentProvider, ReduceRequest
from enhancer.providers.offline import document_summary, extract_keywords, term_key
from enhancer.resources import function
from enhancer.storage import ObjectNotFound
from enhancer.storage.documents import utcnow

VALIDATION_LEASE_S = function("validate").timeout_s
DOCUMENT_KEYWORDS = 20
DOCUMENT_TOPICS = 10
_JUNK_TITLES = re.compile(r"^(untitled|title|document|microsoft word - .*|.*\.(docx?|pdf|tex|odt))$", re.I)


def validate_document(
    pipeline: Pipeline,
    provider: EnrichmentProvider,
    message: ValidateMessage,
    *,
    final_attempt: bool,
    claim_token: str,
) -> DocumentResult | None:
    """Finish one document; None when there was nothing for this message to do (a duplicate, a message of
    an earlier run, or another message holds the claim)."""
    started = time.perf_counter()
    record = pipeline.documents.get(message.document_id)
    if record is None:
        raise PermanentError(f"document {message.document_id} does not exist", code=ErrorCode.INTERNAL)
    if record.run != message.run:
        logger.info("validate message of another run; dropped", extra={"run": message.run})
        return None
    if record.status.is_terminal:
        logger.info("duplicate validate message; document already finished", extra={"status": record.status})
        return None
    if record.status != DocumentStatus.VALIDATING:
        raise RetryableError(f"document is {record.status}, not VALIDATING yet", code=ErrorCode.INTERNAL)
    if not pipeline.documents.claim_validation(record.document_id, claim_token, VALIDATION_LEASE_S):
        logger.info("another validate message is finishing this document")
        return None

    manifest = pipeline.objects.get_model(
        pipeline.output_bucket, manifest_key(record.document_id), ExtractionManifest
    )
    chapters = thread_map(
        lambda index: _chapter_result(pipeline, manifest, index), range(len(manifest.chapters))
    )
    enriched = [c for c in chapters if c.status == ChapterStatus.COMPLETED]
    profile_name, profile = pipeline.config.extraction_profiles.get(manifest.profile)
    document, reduce_llm = _document_metadata(
        provider, manifest, enriched, profile_name, profile, final_attempt=final_attempt
    )
    usage = _usage(chapters, reduce_llm).model_copy(
        update=ocr_usage(manifest.pdf.ocr_pages, pipeline.config.directory)
    )
    result = DocumentResult(
        document_id=record.document_id,
        source=manifest.source,
        status=DocumentStatus.VALIDATING,
        profile=profile_name,
        pdf=manifest.pdf,
        document=document,
        chapters=chapters,
        usage=usage,
        created_at=record.created_at,
    )
    report = validate_result(result.model_dump(mode="json"), profile_name, pipeline.config.validation_rules)
    status, code, error = _final_status(chapters, report.passed, report.issues)
    completed_at = utcnow()
    validate_ms = int((time.perf_counter() - started) * 1000)
    result = result.model_copy(
        update={
            "status": status,
            "error_code": code,
            "error_message": error,
            "validation": report,
            "timings": _timings(record, manifest, completed_at, validate_ms),
            "completed_at": completed_at,
        }
    )
    key = result_key(record.document_id)
    pipeline.objects.put_json(pipeline.output_bucket, key, result)
    moved = pipeline.documents.transition(
        record.document_id,
        DocumentStatus.VALIDATING,
        status,
        result_key=key,
        title=document.title if document else None,
        error_code=code.value if code else None,
        error_message=error,
        validate_ms=validate_ms,
        **usage.model_dump(),
    )
    if not moved:
        logger.info("the document was finished elsewhere first; its result is restored")
        current = pipeline.documents.get(record.document_id)
        if current is not None and current.status == DocumentStatus.FAILED:
            write_failed_result(pipeline, current)
        return None
    _emit_metrics(status, report.passed)
    logger.info("document finished", extra={"status": status.value, "error_code": code})
    return result


def _chapter_result(pipeline: Pipeline, manifest: ExtractionManifest, index: int) -> ChapterResult:
    span = manifest.chapters[index]
    base = {
        "index": span.index,
        "title": span.title,
        "start_page": span.start_page,
        "end_page": span.end_page,
        "detected_by": span.detected_by,
        "char_count": span.char_count,
        "ocr_share": span.ocr_share,
        **ChapterResult.hierarchy_of(span),
    }
    try:
        enriched = pipeline.objects.get_model(
            pipeline.output_bucket, enriched_key(manifest.document_id, index), EnrichedChapter
        )
    except ObjectNotFound:
        error = ChapterError(code=ErrorCode.INTERNAL, message="no enrichment result was recorded")
        return ChapterResult(**base, status=ChapterStatus.FAILED, error=error)
    if enriched.error is not None or enriched.metadata is None:
        error = enriched.error or ChapterError(code=ErrorCode.INTERNAL, message="empty enrichment result")
        return ChapterResult(**base, status=ChapterStatus.FAILED, llm=enriched.llm, error=error)
    return ChapterResult(**base, status=ChapterStatus.COMPLETED, metadata=enriched.metadata, llm=enriched.llm)


def document_title(manifest: ExtractionManifest) -> str:
    """The PDF's own title unless it is a placeholder, else the first outline entry or chapter, else the
    file name."""
    candidates = [manifest.pdf.title or ""]
    candidates += [entry.title for entry in manifest.outline[:1]]
    candidates += [c.title for c in manifest.chapters[:1] if c.detected_by != "fallback"]
    for candidate in candidates:
        cleaned = " ".join(candidate.split())
        if len(cleaned) >= 3 and not _JUNK_TITLES.match(cleaned):
            return cleaned[:300]
    stem = manifest.source.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").replace("-", " ").strip() or manifest.document_id


def _ranked(lists: list[list[str]], limit: int) -> list[str]:
    """Terms by how many chapters use them, then by first appearance; one entry (the first casing seen) per
    stem sequence, so ``Pods`` and ``pod`` are one term."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for position, terms in enumerate(lists):
        for offset, term in enumerate(terms):
            folded = " ".join(term_key(term)) or term.lower()
            if folded not in {" ".join(term_key(t)) or t.lower() for t in terms[:offset]}:
                counts[folded] += 1
            first.setdefault(folded, (position * 1000 + offset, term))
    ordered = sorted(counts, key=lambda t: (-counts[t], first[t][0]))
    return [first[t][1] for t in ordered[:limit]]


def _document_metadata(
    provider: EnrichmentProvider,
    manifest: ExtractionManifest,
    chapters: list[ChapterResult],
    profile_name: str,
    profile: ProfileConfig,
    *,
    final_attempt: bool,
) -> tuple[DocumentMetadata | None, LlmCallInfo | None]:
    if not chapters:
        return None, None
    title = document_title(manifest)
    summaries = [c.metadata.summary for c in chapters if c.metadata]
    keywords = _ranked([c.metadata.keywords for c in chapters if c.metadata], DOCUMENT_KEYWORDS)
    topics = _ranked([c.metadata.concepts for c in chapters if c.metadata], DOCUMENT_TOPICS)
    fields: dict[str, object] = {}
    reduce_llm: LlmCallInfo | None = None
    summary = ""
    if profile.document_reduce:
        request = ReduceRequest(
            document_id=manifest.document_id,
            document_title=title,
            chapter_titles=[c.title for c in chapters],
            chapter_summaries=summaries,
            profile_name=profile_name,
            profile=profile,
            language=manifest.language,
        )
        try:
            outcome = provider.reduce_document(request)
            summary, fields, reduce_llm = outcome.summary, dict(outcome.fields), outcome.llm
        except RetryableError:
            if not final_attempt:
                raise
            logger.warning("document reduce unavailable; falling back to an extractive summary")
        except PermanentError as exc:
            logger.warning("document reduce failed; extractive summary instead", extra={"error": exc.message})
    if not summary:
        joined = "\n\n".join(summaries)
        summary = document_summary(
            summaries,
            keywords or extract_keywords(joined, 10, manifest.language),
            profile.summary_sentences,
            manifest.language,
        )
    metadata = DocumentMetadata(
        title=title,
        summary=summary,
        keywords=keywords,
        topics=topics,
        language=manifest.language,
        **fields,
    )
    return metadata, reduce_llm


def _usage(chapters: list[ChapterResult], reduce_llm: LlmCallInfo | None) -> Usage:
    calls = [c.llm for c in chapters if c.llm is not None]
    if reduce_llm is not None:
        calls.append(reduce_llm)
    return Usage.of_calls(calls)


def _final_status(
    chapters: list[ChapterResult], passed: bool, issues: list[ValidationIssue]
) -> tuple[DocumentStatus, ErrorCode | None, str | None]:
    failed = [c for c in chapters if c.status == ChapterStatus.FAILED]
    if chapters and len(failed) == len(chapters):
        codes = Counter(c.error.code for c in failed if c.error)
        code = (
            ErrorCode.INVALID_LLM_OUTPUT
            if codes.get(ErrorCode.INVALID_LLM_OUTPUT)
            else ErrorCode.LLM_UNAVAILABLE
        )
        if codes and not (codes.get(ErrorCode.INVALID_LLM_OUTPUT) or codes.get(ErrorCode.LLM_UNAVAILABLE)):
            code = ErrorCode.LLM_UNAVAILABLE
        first = next((c.error.message for c in failed if c.error and c.error.code == code), None)
        return (
            DocumentStatus.FAILED,
            code,
            one_line(f"every chapter failed enrichment: {first or code.value}"),
        )
    if not passed:
        errors = [i for i in issues if i.severity == Severity.ERROR] or issues
        detail = f"{errors[0].rule} at {errors[0].path}: {errors[0].message}" if errors else "rules failed"
        return DocumentStatus.FAILED, ErrorCode.VALIDATION_FAILED, one_line(f"validation failed: {detail}")
    if failed:
        return DocumentStatus.PARTIAL, None, None
    return DocumentStatus.COMPLETED, None, None


def _timings(
    record: DocumentRecord, manifest: ExtractionManifest, completed_at: datetime, validate_ms: int
) -> Timings:
    enrich_ms = max(0, int((completed_at - manifest.extracted_at).total_seconds() * 1000) - validate_ms)
    total_ms = max(0, int((completed_at - record.created_at).total_seconds() * 1000))
    return Timings(
        extract_ms=manifest.extract_ms, enrich_ms=enrich_ms, validate_ms=validate_ms, total_ms=total_ms
    )


def _emit_metrics(status: DocumentStatus, passed: bool) -> None:
    if not passed:
        metrics.add_metric(name=MetricName.VALIDATION_FAILURES, unit=MetricUnit.Count, value=1)
    if status == DocumentStatus.FAILED:
        metrics.add_metric(name=MetricName.DOCUMENTS_FAILED, unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name=MetricName.DOCUMENTS_COMPLETED, unit=MetricUnit.Count, value=1)
