"""A book of any length, built in about a second: for the page-range fan-out tests and measurements."""

import io

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

WORDS = [
    *("queue", "retry", "storage", "index", "replica", "latency", "batch", "shard", "cache", "schema"),
    *("stream", "window", "checkpoint", "partition", "backoff", "throughput", "lineage", "catalog"),
]


def huge_book(
    pages: int, *, pages_per_chapter: int = 40, lines_per_page: int = 30, outline: bool = True
) -> bytes:
    """``pages`` pages of text with a running header and page-number footer; a "Chapter N: …" heading opens
    every ``pages_per_chapter`` pages, and the outline (when asked) names each chapter."""
    writer = PdfWriter()
    writer.add_metadata({"/Title": "The Huge Book", "/Author": "Test Suite"})
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    for index in range(pages):
        number = index + 1
        ops = ["BT /F1 9 Tf 72 760 Td (The Huge Book) Tj ET"]
        y = 720
        if index % pages_per_chapter == 0:
            chapter = index // pages_per_chapter + 1
            ops.append(f"BT /F1 16 Tf 72 {y} Td (Chapter {chapter}: {WORDS[chapter % len(WORDS)]}s) Tj ET")
            y -= 30
        for line in range(lines_per_page):
            words = [WORDS[(index * 7 + line * 3 + k) % len(WORDS)] for k in range(10)]
            ops.append(f"BT /F1 10 Tf 72 {y} Td (Page {number} line {line}: {' '.join(words)}.) Tj ET")
            y -= 20
        ops.append(f"BT /F1 9 Tf 300 36 Td ({number}) Tj ET")
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = resources
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if outline:
        for start in range(0, pages, pages_per_chapter):
            chapter = start // pages_per_chapter + 1
            title = f"Chapter {chapter}: {WORDS[chapter % len(WORDS)]}s"
            writer.add_outline_item(title=title, page_number=start)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
