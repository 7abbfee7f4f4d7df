"""Printed contents pages: entries with page numbers, mapped to physical pages.

An entry is a line ending in a page number, after dot leaders or spaces ("3.2 Trace trees ..... 41");
its level comes from its indentation (where the engine gave positions) and its numbering.
Printed numbers map to physical pages through the PDF's ``/PageLabels`` when it has them, else through
the offset the entries' own headings reveal: the most common (physical minus printed) difference over the
entries whose title is found at the start of a line of a page. Without labels and without a single
title found in the text, the contents are not trusted.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from enhancer.config import ChapterPatternsConfig
from enhancer.pdf.headings import clean_title, compile_kinds, heading_kind, numbering
from enhancer.pdf.layout import PageLayout

_ENTRY = re.compile(
    r"^(?P<title>.*?[^\s.\u2026])(?:\s*(?:\.\s?){2,}|\s*\u2026+|\s+)\s*(?P<page>\d{1,4}|[ivxlcdm]{1,7})$",
    re.IGNORECASE,
)
_MIN_ENTRIES = 2


@dataclass(frozen=True)
class ContentsEntry:
    title: str
    page: int  # physical, 1-based
    line: int  # the entry's heading line on that page, 0 when not found
    kind: str | None
    depth: int
    indent: int  # rank of the entry's indentation on the contents page: 0 = flush left


def contents_entries(layout: PageLayout, patterns: ChapterPatternsConfig) -> list[ContentsEntry]:
    """The entries of the document's contents pages, in order, each mapped to its physical page."""
    compiled = compile_kinds(patterns)
    markers = {m.lower() for m in patterns.toc_markers}
    printed: list[tuple[str, str]] = []
    indents: list[float] = []
    for page in sorted(layout.toc_pages):
        lines = layout.lines[page - 1] if layout.lines else []
        styles = layout.styles[page - 1] if layout.styles else []
        for position, line in enumerate(lines):
            if line.lower().strip(" :.") in markers:
                continue
            match = _ENTRY.match(line)
            if match is None:
                continue
            title = clean_title(match["title"])
            if sum(ch.isalpha() for ch in title) >= 2:
                printed.append((title, match["page"]))
                style = styles[position] if position < len(styles) else None
                indents.append(round(style.left, 2) if style is not None else 0.0)
    if len(printed) < _MIN_ENTRIES:
        return []
    page_of = _mapping(layout, printed)
    if page_of is None:
        return []
    toc_end = max(layout.toc_pages)
    entries: list[ContentsEntry] = []
    indent_rank = sorted(set(indents))
    for (title, number), indent in zip(printed, indents, strict=True):
        target = page_of(number)
        if target is None or not toc_end < target <= len(layout.body):
            continue
        kind, _ = heading_kind(title, compiled)
        at = _line_of(layout, target, title)
        entries.append(ContentsEntry(title, target, at, kind, numbering(title), indent_rank.index(indent)))
    return entries if len(entries) >= _MIN_ENTRIES else []


def _mapping(layout: PageLayout, printed: list[tuple[str, str]]) -> Callable[[str], int | None] | None:
    if layout.labels:
        index = {label.lower(): number for number, label in enumerate(layout.labels, start=1)}
        return lambda printed_number: index.get(printed_number.lower())
    offsets: Counter[int] = Counter()
    toc_end = max(layout.toc_pages)
    for title, number in printed:
        if not number.isdigit():
            continue
        for page in range(toc_end + 1, len(layout.body) + 1):
            if _found(layout, page, title):
                offsets[page - int(number)] += 1
                break
    if not offsets:
        return None
    offset = offsets.most_common(1)[0][0]
    return lambda printed_number: int(printed_number) + offset if printed_number.isdigit() else None


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _found(layout: PageLayout, page: int, title: str) -> bool:
    wanted = _normal(title)
    return any(_normal(line).startswith(wanted) for line in layout.lines[page - 1]) if wanted else False


def _line_of(layout: PageLayout, page: int, title: str) -> int:
    """Index of the line on ``page`` that starts with the title (0 when none does)."""
    wanted = _normal(title)
    for index, line in enumerate(layout.lines[page - 1]):
        if wanted and _normal(line).startswith(wanted):
            return index
    return 0
