"""Page text from PDFium (fast, native) or pypdf (pure Python), with the same bounds for both.

Bounds: pypdf decodes every stream under ``pypdf_limits`` (its own Configuration limits, lowered);
before PDFium sees a page, the page's content streams that could inflate past the same limit are
decoded once by pypdf under that limit (``check_page_inflation``), because PDFium itself would
inflate them unchecked. Images are never decoded for text by either engine. Page text is capped
at ``MAX_PAGE_CHARS``.
"""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any, Literal

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode

TextEngine = Literal["pdfium", "pypdf"]
logger = logging.getLogger(__name__)

MAX_STREAM_BYTES = 64 * 1024 * 1024  # decoded bytes of one stream; real page content is < 2 MB
MAX_PAGE_CHARS = 100_000  # a dense page holds ~6,000 characters
# zlib cannot expand input by more than ~1032:1, so a single-Flate stream smaller than this
# cannot cross MAX_STREAM_BYTES and needs no trial decode.
_FLATE_MAX_RATIO = 1032
_MAX_FORM_DEPTH = 4


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
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            count = min(textpage.count_chars(), MAX_PAGE_CHARS)
            return clean_text(textpage.get_text_range(0, count) if count > 0 else "")
        finally:
            textpage.close()
    finally:
        page.close()


def check_page_inflation(reader: PdfReader, index: int) -> None:
    """Raise CORRUPT_PDF if a content stream of the page inflates past ``MAX_STREAM_BYTES``."""
    try:
        page = reader.pages[index]
        streams = list(_content_streams(page, depth=0))
    except Exception:
        # pypdf cannot resolve the page; PDFium may still read it, and its text is capped.
        return
    for stream in streams:
        if not _may_exceed_limit(stream):
            continue
        try:
            with pypdf_limits():
                decode_stream_data(stream)
        except LimitReachedError as exc:
            raise bomb_error(index + 1) from exc
        except Exception as exc:
            # An undecodable stream yields no text in either engine; nothing to guard.
            logger.debug("page %d: undecodable stream skipped by the inflation check: %s", index + 1, exc)


def _content_streams(node: DictionaryObject, depth: int) -> Iterator[StreamObject]:
    contents = node.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        parts = contents if isinstance(contents, ArrayObject) else [contents]
        for part in parts:
            obj = part.get_object()
            if isinstance(obj, StreamObject):
                yield obj
    if isinstance(node, StreamObject) and depth > 0:
        yield node
    if depth >= _MAX_FORM_DEPTH:
        return
    resources = node.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return
    for ref in xobjects.values():
        xobject = ref.get_object()
        # Form XObjects carry text; images are never decoded for text, so they are not checked.
        if isinstance(xobject, StreamObject) and xobject.get("/Subtype") == "/Form":
            yield from _content_streams(xobject, depth + 1)


def _may_exceed_limit(stream: StreamObject) -> bool:
    raw_length = len(stream._data)  # the encoded bytes, as stored in the file
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    if filters is None:
        return raw_length > MAX_STREAM_BYTES
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    if names in (["/FlateDecode"], ["/Fl"]):
        return raw_length * _FLATE_MAX_RATIO > MAX_STREAM_BYTES
    return True  # other or chained filters: no cheap bound, decode once under the limit
