"""Huge documents in pieces: the text of one page range, and chapters from texts gathered range by range.

The pieces reuse ``extract_pdf``'s own steps (input checks, structure, engine order and per-page limits,
layout analysis, detection), so a document extracted in ranges gives the same chapters as one extracted in
one go: ``extract_pdf(data) == build_result(concatenated range_texts(...))`` for the same engine.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from enhancer.config import ChapterPatternsConfig, ProfileConfig
from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf.document import PdfStructure, open_structure, read_source
from enhancer.pdf.engines import load_pdfium
from enhancer.pdf.extract import _page_text, build_result, engine_order


@dataclass(frozen=True)
class RangeText:
    """Cleaned text of pages ``first..last`` (1-based, inclusive); ``unreadable`` pages are empty strings."""

    first: int
    last: int
    texts: list[str]
    unreadable: int
    engine: str  # pdfium or pypdf


def page_ranges(page_count: int, per_task: int) -> list[tuple[int, int]]:
    """``(first, last)`` ranges of at most ``per_task`` pages tiling 1..page_count."""
    if page_count < 1 or per_task < 1:
        raise ValueError("page_count and per_task must be positive")
    return [(first, min(first + per_task - 1, page_count)) for first in range(1, page_count + 1, per_task)]


def open_pdf(source: bytes | Path, *, max_file_bytes: int, max_pages: int) -> tuple[bytes, PdfStructure]:
    """The input checks and the structure, as ``extract_pdf`` starts: ENCRYPTED, TOO_MANY_PAGES, … raise."""
    data = read_source(source, max_file_bytes)
    return data, open_structure(data, max_pages)


def range_texts(
    data: bytes,
    structure: PdfStructure,
    first: int,
    last: int,
    engine: Literal["auto", "pdfium", "pypdf"] = "auto",
) -> RangeText:
    """Text of one page range with the engine order, fallbacks and limits ``extract_pdf`` uses; only this
    range's text is ever held."""
    if not 1 <= first <= last <= structure.page_count:
        raise ValueError(f"pages {first}-{last} are outside 1-{structure.page_count}")
    order = [name for name in engine_order(engine) if name == "pdfium" or structure.reader is not None]
    pdfium_doc = None
    if "pdfium" in order:
        pdfium = load_pdfium()
        assert pdfium is not None
        try:
            pdfium_doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            order.remove("pdfium")
    if not order:
        raise PermanentError("neither pypdf nor PDFium can read the page text", code=ErrorCode.CORRUPT_PDF)
    try:
        texts: list[str] = []
        unreadable = 0
        for index in range(first - 1, last):
            text = _page_text(order, structure, pdfium_doc, index)
            unreadable += text is None
            texts.append(text or "")
        return RangeText(first=first, last=last, texts=texts, unreadable=unreadable, engine=order[0])
    finally:
        if pdfium_doc is not None:
            pdfium_doc.close()


def result_from_ranges(
    ranges: list[RangeText],
    structure: PdfStructure,
    *,
    profile: ProfileConfig,
    patterns: ChapterPatternsConfig,
    started: float | None = None,
) -> ExtractionResult:
    """Chapters of the whole document from its ranges (in page order, tiling every page)."""
    pages = [text for part in ranges for text in part.texts]
    if len(pages) != structure.page_count:
        raise ValueError(f"ranges hold {len(pages)} pages; the document has {structure.page_count}")
    if sum(part.unreadable for part in ranges) == structure.page_count:
        raise PermanentError("no page of the PDF could be read", code=ErrorCode.CORRUPT_PDF)
    return build_result(
        pages,
        structure,
        ranges[0].engine,
        profile=profile,
        patterns=patterns,
        started=time.perf_counter() if started is None else started,
    )
