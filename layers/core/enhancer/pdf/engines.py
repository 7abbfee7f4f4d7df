"""Page text from PDFium (fast, native) or pypdf (pure Python), with the same bounds for both.

Bounds: pypdf decodes every stream under ``pypdf_limits`` (its own Configuration limits, lowered);
PDFium inflates streams unchecked, so before it reads a page either the raw scan of the whole file
(``enhancer.pdf.rawscan``) vouches that no stream can cross the same limit, or the page passes
``check_page_inflation``: its content streams that could inflate past the limit are decoded once by
pypdf under that limit, the forms walked as a graph, each object once, within a work budget (a page over
it is read by pypdf, under pypdf's limits). Images are never decoded for text by either engine. Page
text is capped at ``MAX_PAGE_CHARS``.
"""

import logging
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any, Literal

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pdf.typography import StyledLine, styled_lines

TextEngine = Literal["pdfium", "pypdf"]
logger = logging.getLogger(__name__)

MAX_STREAM_BYTES = 64 * 1024 * 1024  # decoded bytes of one stream; real page content is < 2 MB
MAX_PAGE_CHARS = 100_000  # a dense page holds ~6,000 characters
# zlib cannot expand input by more than ~1032:1, so a single-Flate stream smaller than this
# cannot cross MAX_STREAM_BYTES and needs no trial decode.
FLATE_MAX_RATIO = 1032
_MAX_FORM_DEPTH = 32
# Objects the inflation guard visits per page; a real page has a few dozen forms at most.
FORM_WORK_BUDGET = 5_000


@cache
def load_pdfium() -> ModuleType | None:
    """pypdfium2 when it imports (it is optional in principle: pypdf is the pure-Python fallback)."""
    try:
        import pypdfium2
    except ImportError:
        return None
    return pypdfium2


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


@contextmanager
def pypdf_limits() -> Iterator[None]:
    """pypdf's own decompression limits, lowered from 75 MB to ``MAX_STREAM_BYTES``."""
    with apply_configuration(
        zlib_maximum_output_length=MAX_STREAM_BYTES,
        lzw_maximum_output_length=MAX_STREAM_BYTES,
        run_length_maximum_output_length=MAX_STREAM_BYTES,
        brotli_maximum_output_length=MAX_STREAM_BYTES,
        array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
        stream_decoding_work_maximum_length=4 * MAX_STREAM_BYTES,
    ):
        yield


def bomb_error(page: int) -> PermanentError:
    return PermanentError(
        f"page {page}: a stream inflates past {MAX_STREAM_BYTES // (1024 * 1024)} MiB "
        "(decompression bomb or damaged file)",
        code=ErrorCode.CORRUPT_PDF,
    )


def clean_text(text: str) -> str:
    """One line-break style for both engines, no NULs, capped at ``MAX_PAGE_CHARS``."""
    text = text[:MAX_PAGE_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    # PDFium marks a hyphen at a line break as \x02 and pypdf keeps the hyphen: write both as "-".
    text = text.replace("\x02", "-").replace("\ufffe", "-")
    return _TRAILING_SPACE.sub("", text).strip()


_TRAILING_SPACE = re.compile(r"[ \t]+(?=\n)")


def pypdf_page_text(reader: PdfReader, index: int) -> str:
    try:
        with pypdf_limits():
            return clean_text(reader.pages[index].extract_text())
    except LimitReachedError as exc:
        raise bomb_error(index + 1) from exc


def pdfium_page_text(document: Any, index: int) -> str:
    return pdfium_page(document, index, styled=False)[0]


def pdfium_page(document: Any, index: int, *, styled: bool) -> tuple[str, list[StyledLine]]:
    """The page's cleaned text and, when ``styled``, its lines with their typography."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            count = min(textpage.count_chars(), MAX_PAGE_CHARS)
            raw_text = textpage.get_text_range(0, count) if count > 0 else ""
            lines: list[StyledLine] = []
            if styled and raw_text:
                import pypdfium2.raw as pdfium_raw

                lines = styled_lines(pdfium_raw, textpage.raw, raw_text, page.get_width(), page.get_height())
            return clean_text(raw_text), lines
        finally:
            textpage.close()
    finally:
        page.close()


def check_page_inflation(reader: PdfReader, index: int) -> None:
    """Raise CORRUPT_PDF if a content stream of the page inflates past ``MAX_STREAM_BYTES``.

    Form XObjects are walked as the graph they are, following only the forms a content stream draws
    (``/Name Do``; a form merely listed in the resources is never rendered): each object once per
    document (forms shared by many pages or many forms are checked the first time only), at most
    ``FORM_WORK_BUDGET`` objects per page. A page over the budget raises ``GuardBudgetExceeded``: the
    caller reads it with pypdf, which decodes every stream under its own limits.
    """
    checked = _checked_streams(reader)
    visited: set[tuple[int, int]] = set()
    decoded: set[int] = set()
    try:
        page = reader.pages[index]
        streams = list(_content_streams(page, checked, visited, decoded))
    except GuardBudgetExceeded:
        raise
    except LimitReachedError as exc:
        raise bomb_error(index + 1) from exc
    except Exception:
        # pypdf cannot resolve the page; PDFium may still read it, and its text is capped.
        return
    for stream in streams:
        if id(stream) in decoded or not _may_exceed_limit(stream):
            continue
        try:
            with pypdf_limits():
                decode_stream_data(stream)
        except LimitReachedError as exc:
            raise bomb_error(index + 1) from exc
        except Exception as exc:
            # An undecodable stream yields no text in either engine; nothing to guard.
            logger.debug("page %d: undecodable stream skipped by the inflation check: %s", index + 1, exc)
    checked |= visited  # only once every stream of the page passed


class GuardBudgetExceeded(Exception):
    """The page's Form XObject graph holds more objects than the inflation guard may visit."""


_CHECKED: "weakref.WeakKeyDictionary[PdfReader, set[tuple[int, int]]]" = weakref.WeakKeyDictionary()


def _checked_streams(reader: PdfReader) -> set[tuple[int, int]]:
    """Object ids whose streams this reader has already put through the guard (on any page)."""
    checked = _CHECKED.get(reader)
    if checked is None:
        checked = _CHECKED[reader] = set()
    return checked


def _content_streams(
    page: DictionaryObject, checked: set[tuple[int, int]], visited: set[tuple[int, int]], decoded: set[int]
) -> Iterator[StreamObject]:
    """The page's content streams and the streams of every Form XObject drawn from it, each once.
    Streams decoded (under the limits) to find what they draw are added to ``decoded``."""
    work = 0
    seen_direct: set[int] = set()
    stack: list[tuple[DictionaryObject, int]] = [(page, 0)]
    while stack:
        node, depth = stack.pop()
        work += 1
        if work > FORM_WORK_BUDGET:
            raise GuardBudgetExceeded(f"more than {FORM_WORK_BUDGET} objects in the page's form graph")
        own: list[StreamObject] = []
        contents = node.raw_get("/Contents") if depth == 0 and "/Contents" in node else None
        if contents is not None:
            resolved = contents.get_object()
            parts = resolved if isinstance(resolved, ArrayObject) else [contents]
            for part in parts:
                obj = part.get_object()
                if isinstance(obj, StreamObject) and _first_visit(part, obj, checked, visited, seen_direct):
                    own.append(obj)
        if isinstance(node, StreamObject) and depth > 0:
            own.append(node)
        yield from own
        if depth >= _MAX_FORM_DEPTH:
            continue
        resources = node.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject):
            continue
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not isinstance(xobjects, DictionaryObject) or not xobjects:
            continue
        drawn = _drawn_names(own, decoded)
        for name, ref in xobjects.items():
            if drawn is not None and name not in drawn:
                continue
            # The reference decides a first visit before the object is parsed: a shared form costs one parse.
            if isinstance(ref, IndirectObject) and (
                (ref.idnum, ref.generation) in checked or (ref.idnum, ref.generation) in visited
            ):
                continue
            xobject = ref.get_object()
            # Form XObjects carry text; images are never decoded for text, so they are not checked.
            if (
                isinstance(xobject, StreamObject)
                and xobject.get("/Subtype") == "/Form"
                and _first_visit(ref, xobject, checked, visited, seen_direct)
            ):
                stack.append((xobject, depth + 1))


_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do\b")


def _drawn_names(streams: list[StreamObject], decoded: set[int]) -> set[str] | None:
    """XObject names the streams draw, decoded under the limits (a bomb raises LimitReachedError);
    None when a stream cannot be decoded, so that every listed form is checked."""
    names: set[str] = set()
    for stream in streams:
        try:
            if stream.get("/Filter") is None:
                data = stream._data  # stored unencoded
            else:
                with pypdf_limits():
                    data = decode_stream_data(stream)  # not cached on the object, unlike get_data()
        except LimitReachedError:
            raise
        except Exception:
            return None
        decoded.add(id(stream))
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        names.update("/" + match.decode("latin-1") for match in _DO.findall(data))
    return names


def _first_visit(
    ref: Any, obj: Any, checked: set[tuple[int, int]], visited: set[tuple[int, int]], seen_direct: set[int]
) -> bool:
    if isinstance(ref, IndirectObject):
        key = (ref.idnum, ref.generation)
        if key in checked or key in visited:
            return False
        visited.add(key)
        return True
    if id(obj) in seen_direct:
        return False
    seen_direct.add(id(obj))
    return True


def _may_exceed_limit(stream: StreamObject) -> bool:
    raw_length = len(stream._data)  # the encoded bytes, as stored in the file
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    if filters is None:
        return raw_length > MAX_STREAM_BYTES
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    if names in (["/FlateDecode"], ["/Fl"]):
        return raw_length * FLATE_MAX_RATIO > MAX_STREAM_BYTES
    return True  # other or chained filters: no cheap bound, decode once under the limit
