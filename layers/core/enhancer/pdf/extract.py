"""``extract_pdf``: the one call the extract Lambda and the CLI make."""

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from enhancer.config import ChapterPatternsConfig, ProfileConfig
from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.models.extraction import ExtractionResult
from enhancer.models.result import PdfInfo
from enhancer.pdf.chapters import detect_chapters
from enhancer.pdf.document import PdfStructure, open_structure, read_source
from enhancer.pdf.engines import TextEngine, check_page_inflation, load_pdfium, pdfium_page, pypdf_page_text
from enhancer.pdf.layout import analyse_pages
from enhancer.pdf.typography import StyledLine

if TYPE_CHECKING:
    from enhancer.ocr import OcrOptions

# Below this many letters/digits per page on average, the text layer is absent or stray (scans,
# image-only files: sf-images-only.pdf has ~7 per page); a one-line page such as "test example"
# has 11.
MIN_TEXT_CHARS_PER_PAGE = 8
logger = logging.getLogger(__name__)


def extract_pdf(
    source: bytes | Path,
    *,
    profile: ProfileConfig,
    patterns: ChapterPatternsConfig,
    max_file_bytes: int,
    max_pages: int,
    engine: Literal["auto", "pdfium", "pypdf"] = "auto",
    ocr: "OcrOptions | None" = None,
) -> ExtractionResult:
    """Page text and chapters of one PDF; bad input raises ``PermanentError`` with its error code.

    Structure and page text come from PDFium for ``auto``/``pdfium`` when pypdfium2 imports, else from
    pypdf, and a document or page one engine cannot read is read by the other. With ``ocr``, scanned pages
    are read by its engine (``enhancer.ocr.pages``).
    """
    started = time.perf_counter()
    data = read_source(source, max_file_bytes)
    structure = open_structure(data, max_pages, engine)
    try:
        return extract_opened(
            data, structure, profile=profile, patterns=patterns, engine=engine, started=started, ocr=ocr
        )
    finally:
        structure.close()


def extract_opened(
    data: bytes,
    structure: PdfStructure,
    *,
    profile: ProfileConfig,
    patterns: ChapterPatternsConfig,
    engine: Literal["auto", "pdfium", "pypdf"] = "auto",
    started: float | None = None,
    ocr: "OcrOptions | None" = None,
) -> ExtractionResult:
    """``extract_pdf`` after the input checks and the structure: for a caller that needed the page count
    first (the extract step decides from it whether to fan out in page ranges)."""
    started = time.perf_counter() if started is None else started
    whole = _page_texts(structure, engine)
    if ocr is None:
        return build_result(
            whole.texts,
            structure,
            whole.engine,
            profile=profile,
            patterns=patterns,
            started=started,
            styles=whole.styles,
            labels=whole.labels,
        )
    from enhancer.ocr.pages import attach_ocr, explain_no_text, ocr_range

    scan = ocr_range(data, whole.texts, 1, ocr)
    with explain_no_text(scan.pages):
        result = build_result(
            scan.texts,
            structure,
            whole.engine,
            profile=profile,
            patterns=patterns,
            started=started,
            styles=scan.styles(whole.styles, 1),
            labels=whole.labels,
        )
    return attach_ocr(result, scan.texts, scan.pages)


def build_result(
    pages: list[str],
    structure: PdfStructure,
    engine_used: str,
    *,
    profile: ProfileConfig,
    patterns: ChapterPatternsConfig,
    started: float,
    styles: list[list[StyledLine]] | None = None,
    labels: list[str] | None = None,
) -> ExtractionResult:
    """Layout, the NO_TEXT check and chapters from every page's text (and typography, and printed page
    labels, when the engine gave them); shared with the page-range fan-in (``enhancer.pdf.pages``) so
    both give the same result."""
    layout = analyse_pages(pages, patterns, styles=styles, labels=labels)
    needed = MIN_TEXT_CHARS_PER_PAGE * structure.page_count
    meaningful = _letters_and_digits(layout.body, needed)
    if meaningful < needed:
        raise PermanentError(
            f"no usable text layer: {meaningful} letters or digits on {structure.page_count} page(s) "
            "(scanned or image-only; run OCR first)",
            code=ErrorCode.NO_TEXT,
        )
    chapters = detect_chapters(layout, structure.outline, patterns, profile)
    return ExtractionResult(
        pdf=PdfInfo(
            page_count=structure.page_count,
            title=structure.title,
            author=structure.author,
            has_outline=bool(structure.outline),
            encrypted=structure.encrypted,
            text_chars=sum(len(text) for text in layout.body),
        ),
        chapters=chapters,
        outline=structure.outline,
        engine=engine_used,
        extract_ms=round((time.perf_counter() - started) * 1000),
    )


def _letters_and_digits(pages: list[str], enough: int) -> int:
    """Letters and digits on the pages, counted until there are ``enough``."""
    count = 0
    for text in pages:
        count += sum(map(str.isalnum, text))
        if count >= enough:
            break
    return count


def engine_order(engine: Literal["auto", "pdfium", "pypdf"]) -> list[TextEngine]:
    """The text engines to try, preferred first; PDFium only when pypdfium2 imports."""
    order: list[TextEngine] = ["pypdf", "pdfium"] if engine == "pypdf" else ["pdfium", "pypdf"]
    return [name for name in order if name == "pypdf" or load_pdfium() is not None]


@dataclass(frozen=True)
class RangeText:
    """Cleaned text of pages ``first..last`` (1-based, inclusive); ``unreadable`` pages are empty strings.

    ``styles`` holds each page's lines with their typography (empty for a page PDFium did not read);
    ``labels`` the printed page labels when the PDF defines ``/PageLabels``.
    """

    first: int
    last: int
    texts: list[str]
    unreadable: int
    engine: TextEngine
    styles: list[list[StyledLine]] = field(default_factory=list)
    labels: list[str] | None = None


def _page_texts(structure: PdfStructure, engine: Literal["auto", "pdfium", "pypdf"]) -> RangeText:
    whole = range_texts(structure, 1, structure.page_count, engine)
    if whole.unreadable == structure.page_count:
        raise PermanentError("no page of the PDF could be read", code=ErrorCode.CORRUPT_PDF)
    return whole


def range_texts(
    structure: PdfStructure, first: int, last: int, engine: Literal["auto", "pdfium", "pypdf"] = "auto"
) -> RangeText:
    """Text of one page range with the engine order, fallbacks and limits ``extract_pdf`` uses, read from the
    structure's own documents; only this range's text is ever held."""
    if not 1 <= first <= last <= structure.page_count:
        raise ValueError(f"pages {first}-{last} are outside 1-{structure.page_count}")
    order = engine_order(engine)
    while order and _document(structure, order[0]) is None:
        order.pop(0)
    if not order:
        raise PermanentError("neither pypdf nor PDFium can read the page text", code=ErrorCode.CORRUPT_PDF)
    texts: list[str] = []
    styles: list[list[StyledLine]] = []
    unreadable = 0
    for index in range(first - 1, last):
        read = _page_text(order, structure, index)
        unreadable += read is None
        texts.append(read[0] if read else "")
        styles.append(read[1] if read else [])
    return RangeText(
        first=first,
        last=last,
        texts=texts,
        unreadable=unreadable,
        engine=order[0],
        styles=styles,
        labels=structure.labels[first - 1 : last] if structure.labels is not None else None,
    )


def _document(structure: PdfStructure, engine: TextEngine) -> Any:
    """The engine's document of the file, opened on first use; None when that engine cannot parse it."""
    return structure.pdfium_document() if engine == "pdfium" else structure.pypdf_reader()


def _page_text(
    order: list[TextEngine], structure: PdfStructure, index: int
) -> tuple[str, list[StyledLine]] | None:
    for name in order:
        try:
            document = _document(structure, name)
            if document is None:
                continue
            if name == "pypdf":
                return pypdf_page_text(document, index), []
            if not _inflation_checked(structure, index):
                continue
            return pdfium_page(document, index, styled=True)
        except PermanentError:
            raise
        except Exception as exc:
            # This engine cannot read the page; the other one may.
            logger.debug("page %d: %s cannot read it: %s", index + 1, name, exc)
    return None


def _inflation_checked(structure: PdfStructure, index: int) -> bool:
    """Whether PDFium may read the page: PDFium inflates streams unchecked, so either the raw scan vouches
    for every stream of the file or pypdf's per-page guard passes (a bomb raises CORRUPT_PDF, a form graph
    over the guard's budget raises so the page is read by pypdf). A file neither can vouch for is not
    read by PDFium."""
    if structure.streams_bounded():
        return True
    reader = structure.pypdf_reader()
    if reader is None:
        return False
    check_page_inflation(reader, index)
    return True
