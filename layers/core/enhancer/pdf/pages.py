"""Huge documents in pieces: the text of one page range, and chapters from texts gathered range by range.

The pieces reuse ``extract_pdf``'s own steps (input checks, structure, engine order and per-page limits,
layout analysis, detection), so a document extracted in ranges gives the same chapters as one extracted in
one go: ``extract_pdf(data) == build_result(concatenated range_texts(...))`` for the same engine.
"""

import time
from pathlib import Path
from typing import Literal

from enhancer.config import ChapterPatternsConfig, ProfileConfig
from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf.document import PdfStructure, open_structure, read_source
from enhancer.pdf.extract import RangeText, build_result, range_texts

__all__ = ["RangeText", "open_pdf", "page_ranges", "range_texts", "result_from_ranges"]


def page_ranges(page_count: int, per_task: int) -> list[tuple[int, int]]:
    """``(first, last)`` ranges of at most ``per_task`` pages tiling 1..page_count."""
    if page_count < 1 or per_task < 1:
        raise ValueError("page_count and per_task must be positive")
    return [(first, min(first + per_task - 1, page_count)) for first in range(1, page_count + 1, per_task)]


def open_pdf(
    source: bytes | Path,
    *,
    max_file_bytes: int,
    max_pages: int,
    engine: Literal["auto", "pdfium", "pypdf"] = "auto",
) -> tuple[bytes, PdfStructure]:
    """The input checks and the structure, as ``extract_pdf`` starts: ENCRYPTED, TOO_MANY_PAGES, … raise."""
    data = read_source(source, max_file_bytes)
    return data, open_structure(data, max_pages, engine)


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
    styles = [lines for part in ranges for lines in part.styles]
    labels = [label for part in ranges for label in part.labels or []]
    return build_result(
        pages,
        structure,
        ranges[0].engine,
        profile=profile,
        patterns=patterns,
        started=time.perf_counter() if started is None else started,
        styles=styles if len(styles) == len(pages) else None,
        labels=labels if len(labels) == len(pages) else None,
    )
