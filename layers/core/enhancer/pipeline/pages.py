"""Extract-pages step: one page range of a huge document → its text in S3; the last range fans back in.

Each worker holds one range's text (and the PDF it reads it from), writes it to
``work/{doc}/pages/{first}-{last}.json`` and adds its first page to the record's ``pages_done`` set in one
atomic update. The update that completes the set claims the fan-in with a conditional write (exactly once,
however often SQS redelivers; a retry of the claiming range may claim again, as it may have died
mid-assembly), then runs detection over every range's text and continues exactly like the one-shot extract
step. The fan-in holds the whole document's text (a few MB for thousands of pages), never the PDF.
"""

from enhancer.errors import PermanentError
from enhancer.loops import thread_map
from enhancer.models import DocumentRecord, DocumentStatus, ErrorCode, PagesMessage
from enhancer.models.result import OcrPageInfo
from enhancer.observability import logger
from enhancer.pipeline.context import Pipeline
from enhancer.pipeline.extract import build_manifest, finish_extraction, send_enrich_messages
from enhancer.pipeline.keys import manifest_key, pages_key, pages_plan_key
from enhancer.pipeline.lifecycle import fail_document
from enhancer.pipeline.models import ExtractionManifest, PageRangeFile, PagesPlan
from enhancer.storage.documents import utcnow


def extract_page_range(pipeline: Pipeline, message: PagesMessage) -> dict[str, object]:
    """Extract one range and record it; returns ``{"status", "fan_in"}`` (the idempotent result)."""
    record = pipeline.documents.get(message.document_id)
    if record is None:
        raise PermanentError(f"document {message.document_id} does not exist", code=ErrorCode.INTERNAL)
    if record.run != message.run:
        logger.info("pages message of an earlier run; dropped", extra={"run": message.run})
        return {"status": "SKIPPED", "fan_in": False}
    if record.status == DocumentStatus.ENRICHING and record.pages_fan_in == message.first_page:
        # This range claimed the fan-in and died after ENRICHING, maybe before every message went out.
        manifest = pipeline.objects.get_model(
            pipeline.output_bucket, manifest_key(record.document_id), ExtractionManifest
        )
        send_enrich_messages(pipeline, manifest, run=record.run)
        return {"status": "DONE", "fan_in": True}
    if record.status != DocumentStatus.EXTRACTING:
        logger.info("late pages message: document past extraction", extra={"status": record.status})
        return {"status": "SKIPPED", "fan_in": False}
    if message.first_page not in record.pages_done:
        _extract_range(pipeline, record, message)
        record = pipeline.documents.record_page_range(message.document_id, message.first_page)
    return {"status": "DONE", "fan_in": _fan_in(pipeline, record, message.first_page)}


def _extract_range(pipeline: Pipeline, record: DocumentRecord, message: PagesMessage) -> None:
    from enhancer.pdf.pages import open_pdf, range_texts  # deferred: PDF engines are heavy imports

    body = pipeline.objects.get_bytes(record.source_bucket, record.source_key)
    data, structure = open_pdf(
        body, max_file_bytes=pipeline.max_file_bytes, max_pages=pipeline.max_pages, engine=pipeline.pdf_engine
    )
    del body  # ``data`` is the same bytes; keep one reference
    try:
        part = range_texts(structure, message.first_page, message.last_page, pipeline.pdf_engine)
    finally:
        structure.close()
    texts, styles, ocr_pages = part.texts, part.styles, []
    if pipeline.ocr is not None:
        from enhancer.ocr.pages import ocr_range

        scan = ocr_range(data, part.texts, part.first, pipeline.ocr)
        texts, styles, ocr_pages = scan.texts, scan.styles(part.styles, part.first), scan.pages
    pipeline.objects.put_json(
        pipeline.output_bucket,
        pages_key(record.document_id, part.first, part.last),
        PageRangeFile(
            document_id=record.document_id,
            first_page=part.first,
            last_page=part.last,
            engine=part.engine,
            unreadable=part.unreadable,
            texts=texts,
            styles=[[line.dump() for line in page] for page in styles],
            labels=part.labels,
            ocr_pages=ocr_pages,
        ),
    )
    logger.info("page range extracted", extra={"first_page": part.first, "last_page": part.last})


def _fan_in(pipeline: Pipeline, record: DocumentRecord, first_page: int) -> bool:
    """Assemble the chapters when this range completed the set and won the claim."""
    if record.page_tasks is None or len(record.pages_done) < record.page_tasks:
        return False
    if not pipeline.documents.claim_pages_fan_in(record.document_id, first_page):
        return False
    from enhancer.ocr.pages import attach_ocr, explain_no_text
    from enhancer.pdf.document import PdfStructure
    from enhancer.pdf.pages import RangeText, result_from_ranges
    from enhancer.pdf.typography import StyledLine

    plan = pipeline.objects.get_model(pipeline.output_bucket, pages_plan_key(record.document_id), PagesPlan)

    def load(pages: tuple[int, int]) -> tuple[RangeText, list[OcrPageInfo]]:
        first, last = pages
        stored = pipeline.objects.get_model(
            pipeline.output_bucket, pages_key(record.document_id, first, last), PageRangeFile
        )
        styles = [[StyledLine.load(row) for row in page] for page in stored.styles]
        text = RangeText(first, last, stored.texts, stored.unreadable, stored.engine, styles, stored.labels)
        return text, stored.ocr_pages

    loaded = thread_map(load, plan.ranges)
    ranges = [text for text, _ in loaded]
    ocr_pages = [page for _, pages in loaded for page in pages]
    del loaded  # it holds the ranges too: ``del ranges`` below must free the page text
    structure = PdfStructure(
        page_count=plan.page_count,
        title=plan.title,
        author=plan.author,
        outline=plan.outline,
        encrypted=plan.encrypted,
        reader=None,
    )
    _, profile = pipeline.config.extraction_profiles.get(plan.profile)
    try:
        with explain_no_text(ocr_pages):
            extraction = result_from_ranges(
                ranges, structure, profile=profile, patterns=pipeline.config.chapter_patterns
            )
        extraction = attach_ocr(extraction, [text for part in ranges for text in part.texts], ocr_pages)
    except PermanentError as exc:
        fail_document(pipeline, record.document_id, exc.code, exc.message, sha256=plan.source.sha256)
        return True
    del ranges
    extract_ms = plan.plan_ms + int((utcnow() - plan.planned_at).total_seconds() * 1000)
    manifest, payloads = build_manifest(
        record.document_id,
        plan.profile,
        plan.source,
        extraction,
        created_at=plan.created_at,
        extract_ms=extract_ms,
    )
    finish_extraction(pipeline, manifest, payloads, sha256=plan.source.sha256, run=record.run)
    logger.info("page ranges fanned in", extra={"ranges": len(plan.ranges)})
    return True
