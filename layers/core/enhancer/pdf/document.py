"""Opening a PDF: the input checks, then pypdf for structure (encryption, metadata, outline).

PDFium stands in for the structure when pypdf cannot parse the file, so a document only one
engine can read is still processed.
"""

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.models.extraction import OutlineEntry
from enhancer.pdf.engines import load_pdfium, one_line, pypdf_limits

# The PDF spec lets the header sit anywhere in the first 1024 bytes.
HEADER_WINDOW = 1024

# pypdf reports recoverable damage (and missing optional fontTools) as log warnings; a damaged
# but readable PDF is normal input here, not something to flood the Lambda log with.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass
class PdfStructure:
    page_count: int
    title: str | None
    author: str | None
    outline: list[OutlineEntry]
    encrypted: bool
    reader: PdfReader | None  # None when only PDFium could open the file


def read_source(source: bytes | Path, max_file_bytes: int) -> bytes:
    """The file's bytes after the cheap checks; the size is checked before a large file is read."""
    if isinstance(source, Path):
        size = source.stat().st_size
        if size > max_file_bytes:
            raise _too_large(size, max_file_bytes)
        data = source.read_bytes()
    else:
        data = bytes(source)
    if not data:
        raise PermanentError("the file is empty (0 bytes)", code=ErrorCode.EMPTY_FILE)
    if len(data) > max_file_bytes:
        raise _too_large(len(data), max_file_bytes)
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise PermanentError(
            f"not a PDF: no %PDF- header in the first {HEADER_WINDOW} bytes", code=ErrorCode.NOT_A_PDF
        )
    return data


def open_structure(data: bytes, max_pages: int) -> PdfStructure:
    """Page count, metadata and outline; raises ENCRYPTED, CORRUPT_PDF or TOO_MANY_PAGES."""
    try:
        with pypdf_limits():
            structure = _structure_from_pypdf(data)
    except PermanentError:
        raise
    except Exception as exc:
        structure = _structure_from_pdfium(data, cause=exc)
    if structure.page_count == 0:
        raise PermanentError("the PDF has no pages", code=ErrorCode.CORRUPT_PDF)
    if structure.page_count > max_pages:
        raise PermanentError(
            f"{structure.page_count} pages is more than the limit of {max_pages} (MAX_PAGES)",
            code=ErrorCode.TOO_MANY_PAGES,
        )
    return structure


def _structure_from_pypdf(data: bytes) -> PdfStructure:
    reader = PdfReader(io.BytesIO(data), strict=False)
    encrypted = reader.is_encrypted
    # An empty user password (owner-password-only files) opens; anything else needs the password.
    if encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise _encrypted()
    page_count = len(reader.pages)
    title, author = _pypdf_metadata(reader)
    return PdfStructure(
        page_count=page_count,
        title=title,
        author=author,
        outline=_pypdf_outline(reader),
        encrypted=encrypted,
        reader=reader,
    )


def _pypdf_metadata(reader: PdfReader) -> tuple[str | None, str | None]:
    try:
        meta = reader.metadata
        if meta is None:
            return None, None
        return _clean(meta.title), _clean(meta.author)
    except Exception:
        # Unreadable metadata is no reason to lose the document.
        return None, None


def _pypdf_outline(reader: PdfReader) -> list[OutlineEntry]:
    entries: list[OutlineEntry] = []
    try:
        _flatten_outline(reader, reader.outline, 0, entries)
    except Exception:
        # A broken outline is no reason to lose the document: detection falls back to headings.
        return entries
    return entries


def _flatten_outline(reader: PdfReader, nodes: list[Any], level: int, out: list[OutlineEntry]) -> None:
    for node in nodes:
        if isinstance(node, list):
            _flatten_outline(reader, node, level + 1, out)
            continue
        try:
            index = reader.get_destination_page_number(node)
        except Exception:
            index = None
        page = index + 1 if index is not None and index >= 0 else None
        out.append(OutlineEntry(title=_clean(getattr(node, "title", None)) or "", page=page, level=level))


def _structure_from_pdfium(data: bytes, cause: Exception) -> PdfStructure:
    pdfium = load_pdfium()
    if pdfium is None:
        raise PermanentError(
            f"the PDF structure is unreadable: {one_line(cause)}", code=ErrorCode.CORRUPT_PDF
        )
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise _encrypted() from exc
        raise PermanentError(
            f"the PDF structure is unreadable: {one_line(cause)}", code=ErrorCode.CORRUPT_PDF
        ) from exc
    try:
        meta = doc.get_metadata_dict(skip_empty=True)
        outline = []
        for bookmark in doc.get_toc():
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            outline.append(
                OutlineEntry(
                    title=_clean(bookmark.get_title()) or "",
                    page=index + 1 if index is not None else None,
                    level=bookmark.level,
                )
            )
        return PdfStructure(
            page_count=len(doc),
            title=_clean(meta.get("Title")),
            author=_clean(meta.get("Author")),
            outline=outline,
            encrypted=False,
            reader=None,
        )
    finally:
        doc.close()


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.replace("\x00", "").split())
    return text or None


def _too_large(size: int, limit: int) -> PermanentError:
    return PermanentError(
        f"the file is {size:,} bytes, more than the limit of {limit:,} (MAX_FILE_BYTES)",
        code=ErrorCode.TOO_LARGE,
    )


def _encrypted() -> PermanentError:
    return PermanentError(
        "the PDF is encrypted with a user password; remove the password and upload it again",
        code=ErrorCode.ENCRYPTED,
    )
