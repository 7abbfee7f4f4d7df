"""Opening a PDF: the input checks, then its structure (page count, encryption, metadata, outline,
printed page labels) from one engine's document, which then serves the page text too.

PDFium reads the structure unless the caller asked for pypdf or pypdfium2 does not import; the other
engine stands in when the preferred one cannot parse the file, so a document only one engine can read
is still processed. The other engine's document is opened only when something needs it (a page the
first cannot read, the per-page inflation guard).
"""

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.models.bounded import AUTHOR_MAX_CHARS, TITLE_MAX_CHARS, cut
from enhancer.models.extraction import OutlineEntry
from enhancer.pdf.engines import load_pdfium, one_line, pypdf_limits
from enhancer.pdf.rawscan import streams_are_bounded

# The PDF spec lets the header sit anywhere in the first 1024 bytes.
HEADER_WINDOW = 1024
# pypdf's own outline bounds; a real book's outline is a few hundred entries, five levels deep.
_MAX_OUTLINE_ENTRIES = 10_000
_MAX_OUTLINE_DEPTH = 32

# pypdf reports recoverable damage (and missing optional fontTools) as log warnings; a damaged
# but readable PDF is normal input here, not something to flood the Lambda log with.
logging.getLogger("pypdf").setLevel(logging.ERROR)
logger = logging.getLogger(__name__)


@dataclass
class PdfStructure:
    """What the structure engine read, and the file's documents in both engines, each opened once.

    ``data`` is None for a structure rebuilt from stored fields (the page-range fan-in): it opens neither.
    """

    page_count: int
    title: str | None
    author: str | None
    outline: list[OutlineEntry]
    encrypted: bool
    labels: list[str] | None = None  # printed page labels of every page when the PDF defines /PageLabels
    reader: PdfReader | None = None  # pypdf's reader once opened; use ``pypdf_reader()``
    data: bytes | None = field(default=None, repr=False)
    pdfium: Any = field(default=None, repr=False)  # PDFium's document once opened; use ``pdfium_document()``
    _pypdf_tried: bool = field(default=False, init=False, repr=False)
    _pdfium_tried: bool = field(default=False, init=False, repr=False)
    _bounded: bool | None = field(default=None, init=False, repr=False)

    def pypdf_reader(self) -> PdfReader | None:
        """pypdf's reader, opened on first use; None when pypdf cannot parse the file."""
        if self.reader is None and self.data is not None and not self._pypdf_tried:
            self._pypdf_tried = True
            try:
                self.reader = _open_pypdf(self.data)
            except Exception as exc:
                logger.debug("pypdf cannot open the file: %s", one_line(exc))
        return self.reader

    def pdfium_document(self) -> Any:
        """PDFium's document, opened on first use; None when pypdfium2 is missing or cannot parse the file."""
        pdfium = load_pdfium()
        if self.pdfium is None and self.data is not None and pdfium is not None and not self._pdfium_tried:
            self._pdfium_tried = True
            try:
                self.pdfium = pdfium.PdfDocument(self.data)
            except pdfium.PdfiumError as exc:
                logger.debug("PDFium cannot open the file: %s", one_line(exc))
        return self.pdfium

    def streams_bounded(self) -> bool:
        """Whether the raw scan vouches that no stream of the file inflates past the limit (computed once)."""
        if self._bounded is None:
            self._bounded = self.data is not None and streams_are_bounded(self.data, encrypted=self.encrypted)
        return self._bounded

    def close(self) -> None:
        """Release PDFium's document now rather than when the structure is collected."""
        if self.pdfium is not None:
            self.pdfium.close()
            self.pdfium = None
            self._pdfium_tried = True


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


def open_structure(
    data: bytes, max_pages: int, engine: Literal["auto", "pdfium", "pypdf"] = "auto"
) -> PdfStructure:
    """Page count, metadata and outline from the engine's document (PDFium unless ``engine`` is pypdf or
    pypdfium2 is missing; the other when it cannot parse the file); raises ENCRYPTED, CORRUPT_PDF or
    TOO_MANY_PAGES."""
    readers = [_structure_from_pdfium, _structure_from_pypdf]
    if engine == "pypdf" or load_pdfium() is None:
        readers.reverse()
    failures: dict[object, Exception] = {}
    for read in readers:
        try:
            structure = read(data)
            break
        except PermanentError:
            raise
        except Exception as exc:
            failures[read] = exc
    else:
        cause = failures.get(_structure_from_pypdf) or failures[readers[0]]  # pypdf's reasons say more
        raise PermanentError(
            f"the PDF structure is unreadable: {one_line(cause)}", code=ErrorCode.CORRUPT_PDF
        )
    if structure.page_count == 0:
        structure.close()
        raise PermanentError("the PDF has no pages", code=ErrorCode.CORRUPT_PDF)
    if structure.page_count > max_pages:
        structure.close()
        raise PermanentError(
            f"{structure.page_count} pages is more than the limit of {max_pages} (MAX_PAGES)",
            code=ErrorCode.TOO_MANY_PAGES,
        )
    return structure


def _open_pypdf(data: bytes) -> PdfReader:
    """Strict parsing first: a well-formed file then skips pypdf's repair scan of every object header
    (about two thirds of its opening time on real files); anything strict mode rejects is re-read leniently.
    """
    with pypdf_limits():
        try:
            return _pypdf_reader(data, strict=True)
        except PermanentError:
            raise
        except Exception:
            return _pypdf_reader(data, strict=False)


def _pypdf_reader(data: bytes, *, strict: bool) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=strict)
    # An empty user password (owner-password-only files) opens; anything else needs the password.
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise _encrypted()
    len(reader.pages)  # strict mode's complaints about the page tree surface here
    return reader


def _structure_from_pypdf(data: bytes) -> PdfStructure:
    with pypdf_limits():
        reader = _open_pypdf(data)
        page_count = len(reader.pages)
        title, author = _pypdf_metadata(reader)
        outline = _pypdf_outline(reader)
        labels = _pypdf_labels(reader)
    return PdfStructure(
        page_count=page_count,
        title=title,
        author=author,
        outline=outline,
        encrypted=reader.is_encrypted,
        labels=labels,
        reader=reader,
        data=data,
    )


def _pypdf_metadata(reader: PdfReader) -> tuple[str | None, str | None]:
    try:
        meta = reader.metadata
        if meta is None:
            return None, None
        return _clean(meta.title, TITLE_MAX_CHARS), _clean(meta.author, AUTHOR_MAX_CHARS)
    except Exception:
        # Unreadable metadata is no reason to lose the document.
        return None, None


def _pypdf_outline(reader: PdfReader) -> list[OutlineEntry]:
    """The outline, flattened with levels; destinations resolve through one page-id map.

    pypdf's ``reader.outline`` first materialises every named destination in the document (a
    LaTeX book holds thousands, one per link target); only the few the outline names are looked up.
    """
    entries: list[OutlineEntry] = []
    try:
        outlines = _resolved(reader.root_object.get("/Outlines"))
        if not isinstance(outlines, DictionaryObject) or "/First" not in outlines:
            return entries
        page_index = {
            page.indirect_reference.idnum: index
            for index, page in enumerate(reader.pages)
            if page.indirect_reference is not None
        }
        _walk_outline(reader, outlines["/First"], 0, page_index, set(), entries)
    except Exception:
        # A broken outline is no reason to lose the document: detection falls back to headings.
        return entries
    return entries


def _walk_outline(
    reader: PdfReader,
    node: Any,
    level: int,
    page_index: dict[int, int],
    seen: set[int],
    out: list[OutlineEntry],
) -> None:
    if level > _MAX_OUTLINE_DEPTH:
        return
    node = _resolved(node)
    while isinstance(node, DictionaryObject) and id(node) not in seen and len(out) < _MAX_OUTLINE_ENTRIES:
        seen.add(id(node))
        title = _clean(_resolved(node.get("/Title")), TITLE_MAX_CHARS)
        out.append(OutlineEntry(title=title or "", page=_outline_page(reader, node, page_index), level=level))
        if "/First" in node:
            _walk_outline(reader, node["/First"], level + 1, page_index, seen, out)
        node = _resolved(node.get("/Next"))


def _outline_page(reader: PdfReader, node: DictionaryObject, page_index: dict[int, int]) -> int | None:
    """1-based page of an outline item's /Dest or GoTo action, the way pypdf resolves it."""
    try:
        action = _resolved(node.get("/A"))
        if isinstance(action, DictionaryObject):
            dest = _resolved(action.get("/D")) if _resolved(action.get("/S")) == "/GoTo" else None
        else:
            dest = _resolved(node.get("/Dest"))
            if isinstance(dest, DictionaryObject):
                dest = _resolved(dest.get("/D"))
        if isinstance(dest, str):
            dest = _named_destination(reader, dest)
        if not isinstance(dest, ArrayObject) or len(dest) < 2:
            return None
        target = dest[0]
        index = page_index.get(target.idnum) if isinstance(target, IndirectObject) else None
    except Exception:
        return None
    return index + 1 if index is not None else None


def _named_destination(reader: PdfReader, name: str) -> Any:
    """The destination array of one name: the PDF 1.1 /Dests dictionary, else the /Names tree."""
    catalog = reader.root_object
    if "/Dests" in catalog:
        dests = _resolved(catalog["/Dests"])
        value = _resolved(dests.get(name)) if isinstance(dests, DictionaryObject) else None
    else:
        names = _resolved(catalog.get("/Names"))
        tree = _resolved(names.get("/Dests")) if isinstance(names, DictionaryObject) else None
        value = _name_tree_lookup(tree, name, 0) if isinstance(tree, DictionaryObject) else None
    if isinstance(value, DictionaryObject):
        value = _resolved(value.get("/D"))
    return value


def _name_tree_lookup(node: DictionaryObject, name: str, depth: int) -> Any:
    """Descend only into the kids whose /Limits cover the name (the tree is sorted, §7.9.6)."""
    if depth > _MAX_OUTLINE_DEPTH:
        return None
    limits = _resolved(node.get("/Limits"))
    if isinstance(limits, ArrayObject) and len(limits) == 2:
        low, high = (_resolved(limit) for limit in limits)
        if isinstance(low, str) and isinstance(high, str) and not low <= name <= high:
            return None
    names = _resolved(node.get("/Names"))
    if isinstance(names, ArrayObject):
        for position in range(0, len(names) - 1, 2):
            if _resolved(names[position]) == name:
                return _resolved(names[position + 1])
        return None
    kids = _resolved(node.get("/Kids"))
    for kid in kids if isinstance(kids, ArrayObject) else []:
        kid = _resolved(kid)
        found = _name_tree_lookup(kid, name, depth + 1) if isinstance(kid, DictionaryObject) else None
        if found is not None:
            return found
    return None


def _resolved(value: Any) -> Any:
    return value.get_object() if value is not None else None


def _structure_from_pdfium(data: bytes) -> PdfStructure:
    pdfium = load_pdfium()
    if pdfium is None:
        raise RuntimeError("pypdfium2 is not installed")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise _encrypted() from exc
        raise
    try:
        title, author = _pdfium_metadata(doc)
        return PdfStructure(
            page_count=len(doc),
            title=title,
            author=author,
            outline=_pdfium_outline(doc),
            # -1 means no security handler; an owner-password-only file opens with the empty password.
            encrypted=pdfium.raw.FPDF_GetSecurityHandlerRevision(doc.raw) != -1,
            labels=_pdfium_labels(doc, pdfium.raw),
            data=data,
            pdfium=doc,
        )
    except Exception:
        doc.close()
        raise


def _pdfium_metadata(doc: Any) -> tuple[str | None, str | None]:
    try:
        meta = doc.get_metadata_dict(skip_empty=True)
    except Exception:
        # Unreadable metadata is no reason to lose the document.
        return None, None
    return _clean(meta.get("Title"), TITLE_MAX_CHARS), _clean(meta.get("Author"), AUTHOR_MAX_CHARS)


def _pdfium_outline(doc: Any) -> list[OutlineEntry]:
    """The outline, flattened with levels, within the same bounds as pypdf's walk."""
    entries: list[OutlineEntry] = []
    try:
        for bookmark in doc.get_toc(max_depth=_MAX_OUTLINE_DEPTH + 1):
            if len(entries) >= _MAX_OUTLINE_ENTRIES:
                break
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            entries.append(
                OutlineEntry(
                    title=_clean(bookmark.get_title(), TITLE_MAX_CHARS) or "",
                    page=index + 1 if index is not None else None,
                    level=bookmark.level,
                )
            )
    except Exception:
        # A broken outline is no reason to lose the document: detection falls back to headings.
        return entries
    return entries


def _pypdf_labels(reader: PdfReader) -> list[str] | None:
    try:
        if "/PageLabels" not in reader.root_object:
            return None
        return list(reader.page_labels)
    except Exception as exc:
        # A damaged label tree costs the labels, never the document.
        logger.debug("page labels unreadable: %s", exc)
        return None


def _pdfium_labels(doc: Any, raw: Any) -> list[str] | None:
    # PDFium answers 0 bytes only without a /PageLabels tree; with one, every page has a label
    # (its number where no range covers it), so the first page tells whether the tree exists.
    try:
        if raw.FPDF_GetPageLabel(doc.raw, 0, None, 0) == 0:
            return None
        return [doc.get_page_label(index) for index in range(len(doc))]
    except Exception as exc:
        logger.debug("page labels unreadable: %s", exc)
        return None


def _clean(value: object, limit: int) -> str | None:
    """One line of at most ``limit`` characters: PDF strings are the uploader's, of any size (a cut one ends
    with … and is flagged ``truncated`` in the result)."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.replace("\x00", "").split())
    return cut(text, limit)[0] or None


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
