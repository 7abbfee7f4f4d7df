"""The per-page OCR decision and pass: a page whose text layer is thin and which an image mostly covers is
rendered and read by the OCR engine; every other page keeps its text layer.

Used by the one-shot extraction and by each page-range worker alike (``ocr_range`` post-processes the text
of one range), and ``attach_ocr`` adds what OCR did to the extraction result, whichever way it ran.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode, ExtractionResult
from enhancer.models.result import OcrPageInfo
from enhancer.ocr.engine import OcrError, OcrOptions
from enhancer.ocr.render import image_coverage, plan_render, render_page
from enhancer.pdf.engines import clean_text, load_pdfium, pdfium_page_text
from enhancer.pdf.extract import MIN_TEXT_CHARS_PER_PAGE

OCR_STATUS = "ocr"
T = TypeVar("T")
__all__ = ["OcrOptions", "OcrPass", "attach_ocr", "explain_no_text", "is_thin", "ocr_range", "scanned_pages"]


@dataclass(frozen=True)
class OcrPass:
    """One range's page texts after OCR, and a report for each page sent to the engine."""

    texts: list[str]
    pages: list[OcrPageInfo] = field(default_factory=list)

    def styles(self, styles: list[list[T]], first: int) -> list[list[T]]:
        """The range's typography without the lines of pages OCR read: their text is OCR's now, and the
        stray text layer's lines no longer describe it."""
        read = {page.page for page in self.pages if page.status == OCR_STATUS and page.chars}
        return [[] if first + offset in read else lines for offset, lines in enumerate(styles)]


def is_thin(text: str) -> bool:
    """The NO_TEXT measure, per page: fewer letters/digits than a one-line page has."""
    return sum(ch.isalnum() for ch in text) < MIN_TEXT_CHARS_PER_PAGE


def ocr_range(data: bytes, texts: list[str], first: int, options: OcrOptions) -> OcrPass:
    """OCR the scanned pages among ``texts`` (pages ``first``.. of ``data``); one page's engine failure or
    oversized image is reported on that page and the rest go on. Holds one page image at a time."""
    candidates = [offset for offset, text in enumerate(texts) if is_thin(text)]
    pdfium = load_pdfium() if candidates else None
    if pdfium is None:
        return OcrPass(texts=list(texts))
    out = list(texts)
    reports: list[OcrPageInfo] = []
    document = pdfium.PdfDocument(data)
    try:
        for offset in candidates:
            report = _ocr_page(document, first + offset, options)
            if report is None:
                continue
            page_report, text = report
            if text:
                out[offset] = text
            reports.append(page_report)
    finally:
        document.close()
    return OcrPass(texts=out, pages=reports)


def scanned_pages(data: bytes, page_count: int, min_coverage: float) -> list[int]:
    """Page numbers the OCR pass would send to the engine (thin PDFium text, mostly image), without
    rendering: the extract step counts them to decide whether to fan the OCR out in page ranges."""
    pdfium = load_pdfium()
    if pdfium is None:
        return []
    document = pdfium.PdfDocument(data)
    try:
        found = []
        for index in range(page_count):
            if not is_thin(pdfium_page_text(document, index)):
                continue
            page = document[index]
            try:
                if image_coverage(page) >= min_coverage:
                    found.append(index + 1)
            finally:
                page.close()
        return found
    finally:
        document.close()


def _ocr_page(document: object, number: int, options: OcrOptions) -> tuple[OcrPageInfo, str] | None:
    page = document[number - 1]  # type: ignore[index]
    try:
        if image_coverage(page) < options.min_coverage:
            return None
        width, height = page.get_size()
        plan = plan_render(
            width, height, dpi=options.dpi, min_dpi=options.min_dpi, max_pixels=options.max_pixels
        )
        if plan.dpi is None:
            skipped = OcrPageInfo(
                page=number, engine=options.engine.name, status="skipped", warning=plan.warning
            )
            return skipped, ""
        image = render_page(page, plan.dpi)
    finally:
        page.close()
    started = time.perf_counter()
    try:
        read = options.engine.read(image)
    except OcrError as exc:
        failed = OcrPageInfo(
            page=number,
            engine=options.engine.name,
            status="failed",
            dpi=plan.dpi,
            latency_ms=_ms(started),
            warning=exc.message[:300],
        )
        return failed, ""
    finally:
        del image
    text = clean_text(read.text)
    done = OcrPageInfo(
        page=number,
        engine=options.engine.name,
        status=OCR_STATUS,
        confidence=read.confidence,
        chars=len(text),
        dpi=plan.dpi,
        latency_ms=_ms(started),
        warning=plan.warning,
    )
    return done, text


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


@contextmanager
def explain_no_text(pages: list[OcrPageInfo]) -> Iterator[None]:
    """A NO_TEXT raised after OCR says what OCR did (found nothing, failed, skipped) instead of
    suggesting to run it."""
    try:
        yield
    except PermanentError as exc:
        if exc.code != ErrorCode.NO_TEXT or not pages:
            raise
        read = sum(p.status == OCR_STATUS for p in pages)
        found = sum(p.chars for p in pages)
        failures = [f"page {p.page}: {p.warning}" for p in pages if p.status != OCR_STATUS and p.warning]
        detail = f"; {failures[0]}" if failures else ""
        raise PermanentError(
            f"no usable text: OCR ({pages[0].engine}) read {read} of {len(pages)} scanned page(s) and found "
            f"{found} characters{detail}",
            code=ErrorCode.NO_TEXT,
        ) from exc


def attach_ocr(result: ExtractionResult, texts: list[str], pages: list[OcrPageInfo]) -> ExtractionResult:
    """The result with its OCR report and each chapter's share of text read by OCR (by page: a chapter's
    OCR'd pages' characters over all its pages' characters)."""
    if not pages:
        return result
    ocr_chars = {p.page: len(texts[p.page - 1]) for p in pages if p.status == OCR_STATUS and p.chars}
    chapters = []
    for chapter in result.chapters:
        numbers = range(chapter.start_page, min(chapter.end_page, len(texts)) + 1)
        total = sum(len(texts[n - 1]) for n in numbers)
        share = sum(ocr_chars.get(n, 0) for n in numbers) / total if total else 0.0
        chapters.append(chapter.model_copy(update={"ocr_share": round(min(share, 1.0), 4)}))
    pdf = result.pdf.model_copy(update={"ocr_pages": sorted(pages, key=lambda p: p.page)})
    return result.model_copy(update={"pdf": pdf, "chapters": chapters})
