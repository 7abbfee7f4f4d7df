"""Extract step: one uploaded object → a document record, chapter payloads in S3, one enrich message each.

Order matters for fan-in: the status moves to ENRICHING (with ``chapter_count``) *before* any enrich message
is sent, so the enrichment that completes the set always finds the document in ENRICHING. A retry that finds
ENRICHING re-sends the pointers (the previous attempt may have died mid-send); enrichment is idempotent.

A document over ``fanout_pages`` pages is not extracted here: its page ranges go to the pages queue
(``enhancer.pipeline.pages``), whose last range assembles the chapters, then calls ``finish_extraction``.
"""

import hashlib
import time
from datetime import datetime
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from enhancer.errors import DocumentBusyError, PermanentError
from enhancer.language import detect_language
from enhancer.loops import thread_map
from enhancer.models import (
    ChapterPayload,
    DocumentRecord,
    DocumentStatus,
    EnrichMessage,
    ErrorCode,
    ExtractionResult,
    PagesMessage,
    SourceInfo,
)
from enhancer.observability import MetricName, logger, metrics
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.ids import document_id_for, resolve_profile
from enhancer.pipeline.keys import chapter_key, manifest_key, pages_plan_key
from enhancer.pipeline.lifecycle import fail_document, log_keys
from enhancer.pipeline.models import ExtractionManifest, PagesPlan, S3ObjectRef
from enhancer.storage import ObjectNotFound
from enhancer.storage.documents import utcnow


class ExtractOutcome(StrEnum):
    ENQUEUED = "ENQUEUED"
    FAILED = "FAILED"
    DUPLICATE = "DUPLICATE"
    GONE = "GONE"
    FANNED_OUT = "FANNED_OUT"


def extract_object(pipeline: Pipeline, ref: S3ObjectRef) -> dict[str, str]:
    """Process one uploaded object; returns ``{"document_id", "outcome"}`` (the idempotent result)."""
    try:
        info = pipeline.objects.head(ref.bucket, ref.key)
    except ObjectNotFound:
        logger.warning("object no longer exists; nothing to do", extra={"key": ref.key})
        return {"document_id": "", "outcome": ExtractOutcome.GONE}
    etag = ref.etag or info.etag
    document_id = document_id_for(ref.bucket, ref.key, etag)
    with log_keys(document_id=document_id):
        profile_name = resolve_profile(
            info.metadata.get("profile"), ref.key, pipeline.config.extraction_profiles
        )
        outcome = _extract(pipeline, ref, etag, info.size_bytes, document_id, profile_name)
        return {"document_id": document_id, "outcome": outcome}


def record_upload(
    pipeline: Pipeline, ref: S3ObjectRef, etag: str, size_bytes: int, document_id: str, profile_name: str
) -> DocumentRecord:
    """The upload's document record, created RECEIVED when it has none yet (the first thing extraction
    writes; the sweeper writes it too for an upload whose message died before extraction could)."""
    now = utcnow()
    created = pipeline.documents.create_if_absent(
        DocumentRecord(
            document_id=document_id,
            status=DocumentStatus.RECEIVED,
            profile=profile_name,
            source_bucket=ref.bucket,
            source_key=ref.key,
            source_etag=etag,
            size_bytes=size_bytes,
            created_at=now,
            updated_at=now,
        )
    )
    if created:
        metrics.add_metric(name=MetricName.DOCUMENTS_RECEIVED, unit=MetricUnit.Count, value=1)
    record = pipeline.documents.get(document_id)
    assert record is not None  # just created or already there
    return record


def _extract(
    pipeline: Pipeline, ref: S3ObjectRef, etag: str, size_bytes: int, document_id: str, profile_name: str
) -> ExtractOutcome:
    record = record_upload(pipeline, ref, etag, size_bytes, document_id, profile_name)
    if record.source_etag and etag and record.source_etag.strip('"') != etag.strip('"'):
        record = _new_version(pipeline, record)
    match record.status:
        case DocumentStatus.RECEIVED:
            pipeline.documents.transition(
                document_id,
                DocumentStatus.RECEIVED,
                DocumentStatus.EXTRACTING,
                profile=profile_name,
                source_bucket=ref.bucket,
                source_key=ref.key,
                source_etag=etag,
                size_bytes=size_bytes,
            )
        case DocumentStatus.EXTRACTING:
            logger.info("resuming an extraction that did not finish")
        case DocumentStatus.ENRICHING:
            send_enrich_messages(
                pipeline,
                pipeline.objects.get_model(
                    pipeline.output_bucket, manifest_key(document_id), ExtractionManifest
                ),
                run=record.run,
            )
            return ExtractOutcome.ENQUEUED
        case _:
            logger.info("duplicate event for a document past extraction", extra={"status": record.status})
            return ExtractOutcome.DUPLICATE

    profile_name = (
        record.profile if record.profile in pipeline.config.extraction_profiles.profiles else profile_name
    )
    if size_bytes > pipeline.max_file_bytes:  # before downloading it
        fail_document(
            pipeline,
            document_id,
            ErrorCode.TOO_LARGE,
            f"file is {size_bytes} bytes; the limit is {pipeline.max_file_bytes} (MAX_FILE_BYTES)",
        )
        return ExtractOutcome.FAILED
    body = pipeline.objects.get_bytes(ref.bucket, ref.key)
    sha256 = hashlib.sha256(body).hexdigest()
    source = SourceInfo(bucket=ref.bucket, key=ref.key, size_bytes=len(body), sha256=sha256)
    try:
        manifest, payloads = _run_extraction(pipeline, document_id, profile_name, source, body, record)
    except PermanentError as exc:
        fail_document(pipeline, document_id, exc.code, exc.message, sha256=sha256)
        return ExtractOutcome.FAILED
    if manifest is None:
        return ExtractOutcome.FANNED_OUT
    finish_extraction(pipeline, manifest, payloads, sha256=sha256, run=record.run)
    return ExtractOutcome.ENQUEUED


def _new_version(pipeline: Pipeline, record: DocumentRecord) -> DocumentRecord:
    """A new version of the object under the same key and document id (an API upload URL used again): a
    finished document starts a new run of it; one still processing the previous version makes this event
    wait (it is retried until that run is finished, then processed)."""
    if record.status == DocumentStatus.RECEIVED:  # reset already, or never started: the next move takes it
        return record
    if not record.status.is_terminal:
        raise DocumentBusyError(
            f"an earlier version (etag {record.source_etag}) is still {record.status.value}",
            code=ErrorCode.INTERNAL,
        )
    reset = pipeline.documents.reset_for_reprocess(record.document_id)
    if reset is None:
        raise DocumentBusyError("the document was restarted by someone else", code=ErrorCode.INTERNAL)
    logger.info("new version of the object: a new run", extra={"run": reset.run})
    return reset


def finish_extraction(
    pipeline: Pipeline,
    manifest: ExtractionManifest,
    payloads: list[ChapterPayload],
    *,
    sha256: str,
    run: int,
) -> None:
    """Chapter payloads and the manifest to S3, EXTRACTING → ENRICHING, then one enrich message each."""
    document_id = manifest.document_id
    thread_map(
        lambda payload: pipeline.objects.put_json(
            pipeline.output_bucket, chapter_key(document_id, payload.chapter.index), payload
        ),
        payloads,
    )
    pipeline.objects.put_json(pipeline.output_bucket, manifest_key(document_id), manifest)
    pipeline.documents.transition(
        document_id,
        DocumentStatus.EXTRACTING,
        DocumentStatus.ENRICHING,
        chapter_count=len(payloads),
        llm_requests={},
        page_count=manifest.pdf.page_count,
        title=manifest.pdf.title,
        sha256=sha256,
        extract_ms=manifest.extract_ms,
    )
    metrics.add_metric(name=MetricName.PAGES_EXTRACTED, unit=MetricUnit.Count, value=manifest.pdf.page_count)
    read = [page for page in manifest.pdf.ocr_pages if page.status == "ocr"]
    if read:
        metrics.add_metric(name=MetricName.PAGES_OCRED, unit=MetricUnit.Count, value=len(read))
        for page in read:
            metrics.add_metric(
                name=MetricName.OCR_LATENCY, unit=MetricUnit.Milliseconds, value=page.latency_ms
            )
    send_enrich_messages(pipeline, manifest, run=run)
    logger.info("extracted", extra={"chapters": len(payloads), "pages": manifest.pdf.page_count})


def _run_extraction(
    pipeline: Pipeline,
    document_id: str,
    profile_name: str,
    source: SourceInfo,
    body: bytes,
    record: DocumentRecord,
) -> tuple[ExtractionManifest | None, list[ChapterPayload]]:
    """The manifest and payloads, or ``(None, [])`` when the document was fanned out in page ranges."""
    from enhancer.pdf.extract import extract_opened  # deferred: PDF engines are heavy imports
    from enhancer.pdf.pages import open_pdf

    started = time.perf_counter()
    _, profile = pipeline.config.extraction_profiles.require(profile_name)  # UNKNOWN_PROFILE
    data, structure = open_pdf(
        body, max_file_bytes=pipeline.max_file_bytes, max_pages=pipeline.max_pages, engine=pipeline.pdf_engine
    )
    try:
        ranges = _fan_out_ranges(pipeline, data, structure.page_count)
        if ranges:
            plan = PagesPlan(
                document_id=document_id,
                profile=profile_name,
                run=record.run,
                source=source,
                page_count=structure.page_count,
                title=structure.title,
                author=structure.author,
                encrypted=structure.encrypted,
                outline=structure.outline,
                ranges=ranges,
                plan_ms=int((time.perf_counter() - started) * 1000),
                created_at=record.created_at,
                planned_at=utcnow(),
            )
            fan_out(pipeline, plan)
            return None, []
        extraction = extract_opened(
            data,
            structure,
            profile=profile,
            patterns=pipeline.config.chapter_patterns,
            engine=pipeline.pdf_engine,
            started=started,
            ocr=pipeline.ocr,
        )
    finally:
        structure.close()  # PDFium's document now, not when the structure is collected
    return build_manifest(document_id, profile_name, source, extraction, created_at=record.created_at)


def _fan_out_ranges(pipeline: Pipeline, data: bytes, page_count: int) -> list[tuple[int, int]]:
    """Page ranges for the pages queue, or none to extract here: a huge document goes in ranges of
    ``pages_per_task``, a scan with more than ``ocr_fanout_pages`` pages to OCR in ranges of
    ``ocr_pages_per_task`` (OCR takes seconds a page; text takes milliseconds)."""
    from enhancer.pdf.pages import page_ranges

    if not pipeline.pages_queue_url:
        return []
    if pipeline.ocr is not None:
        from enhancer.ocr.pages import scanned_pages

        if len(scanned_pages(data, page_count, pipeline.ocr.min_coverage)) > pipeline.ocr_fanout_pages:
            return page_ranges(page_count, min(pipeline.pages_per_task, pipeline.ocr_pages_per_task))
    if page_count > pipeline.fanout_pages:
        return page_ranges(page_count, pipeline.pages_per_task)
    return []


def fan_out(pipeline: Pipeline, plan: PagesPlan) -> None:
    """The plan to S3, the range count to the record, then one pages message per range. A retry plans the
    same ranges again and re-sends them: ranges already done are skipped by their worker."""
    pipeline.objects.put_json(pipeline.output_bucket, pages_plan_key(plan.document_id), plan)
    if not pipeline.documents.plan_page_tasks(
        plan.document_id, len(plan.ranges), page_count=plan.page_count, sha256=plan.source.sha256
    ):
        logger.info("document left EXTRACTING before its fan-out; nothing sent")
        return
    messages = [
        PagesMessage(document_id=plan.document_id, first_page=first, last_page=last, run=plan.run)
        for first, last in plan.ranges
    ]
    pipeline.queues.send(pipeline.pages_queue_url, messages)
    logger.info("extraction fanned out", extra={"pages": plan.page_count, "ranges": len(plan.ranges)})


def build_manifest(
    document_id: str,
    profile_name: str,
    source: SourceInfo,
    extraction: ExtractionResult,
    *,
    created_at: datetime,
    extract_ms: int | None = None,
) -> tuple[ExtractionManifest, list[ChapterPayload]]:
    """Chapter payloads (text, language) and the manifest of one extraction, whichever way it ran."""
    extract_ms = extract_ms if extract_ms is not None else extraction.extract_ms
    language = detect_language("\n".join(c.text for c in extraction.chapters))
    payloads = [
        ChapterPayload(
            document_id=document_id,
            profile=profile_name,
            chapter=chapter.span(),
            text=chapter.text,
            language=detect_language(chapter.text) or language,
        )
        for chapter in extraction.chapters
    ]
    manifest = ExtractionManifest(
        document_id=document_id,
        profile=profile_name,
        source=source,
        pdf=extraction.pdf,
        chapters=[p.chapter for p in payloads],
        outline=extraction.outline,
        engine=extraction.engine,
        language=language,
        extract_ms=extract_ms,
        created_at=created_at,
        extracted_at=utcnow(),
    )
    return manifest, payloads


def send_enrich_messages(pipeline: Pipeline, manifest: ExtractionManifest, *, run: int = 0) -> None:
    messages = [
        EnrichMessage(
            document_id=manifest.document_id,
            chapter_index=chapter.index,
            chapter_key=chapter_key(manifest.document_id, chapter.index),
            profile=manifest.profile,
            run=run,
        )
        for chapter in manifest.chapters
    ]
    pipeline.queues.send(pipeline.enrich_queue_url, messages)
