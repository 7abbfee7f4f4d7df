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
_MAX_LINE = 160  # longer lines are body text, never a heading
_MIN_WRAPPED = 12  # a heading's first line this long may carry a title that wraps onto the next


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
    run = _first_run(sorted(layout.toc_pages))
    for page in run:
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
    toc_end = run[-1]
    index = _line_index(layout, toc_end + 1)
    page_of = _mapping(layout, printed, index)
    if page_of is None:
        return []
    entries: list[ContentsEntry] = []
    indent_rank = sorted(set(indents))
    for (title, number), indent in zip(printed, indents, strict=True):
        target = page_of(number)
        if target is None or not toc_end < target <= len(layout.body):
            continue
        kind, _ = heading_kind(title, compiled)
        at = next((line for page, line in _locate(index, title) if page == target), 0)
        entries.append(ContentsEntry(title, target, at, kind, numbering(title), indent_rank.index(indent)))
    return entries if len(entries) >= _MIN_ENTRIES else []


_Index = dict[str, list[tuple[int, int, str]]]


def _first_run(pages: list[int]) -> list[int]:
    """The first contents page and those right after it (an index at the back is not the contents)."""
    run = pages[:1]
    for page in pages[1:]:
        if page != run[-1] + 1:
            break
        run.append(page)
    return run


def _mapping(
    layout: PageLayout, printed: list[tuple[str, str]], index: _Index
) -> Callable[[str], int | None] | None:
    if layout.labels:
        labels = {label.lower(): number for number, label in enumerate(layout.labels, start=1)}
        return lambda printed_number: labels.get(printed_number.lower())
    offsets: Counter[int] = Counter()
    for title, number in printed:
        found = next(iter(_locate(index, title)), None) if number.isdigit() else None
        if found is not None:
            offsets[found[0] - int(number)] += 1
    if not offsets:
        return None
    offset = offsets.most_common(1)[0][0]
    return lambda printed_number: int(printed_number) + offset if printed_number.isdigit() else None


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _line_index(layout: PageLayout, first_page: int) -> _Index:
    """Every short line from ``first_page`` on, normalised, by its first word: one pass over the text."""
    index: _Index = {}
    for page in range(first_page, len(layout.body) + 1):
        for position, line in enumerate(layout.lines[page - 1]):
            if len(line) > _MAX_LINE:
                continue
            normal = _normal(line)
            if normal:
                index.setdefault(normal.split(" ", 1)[0], []).append((page, position, normal))
    return index


def _locate(index: _Index, title: str) -> list[tuple[int, int]]:
    """``(page, line)`` of the lines that start with the title, or that a wrapped title starts with."""
    wanted = _normal(title)
    if not wanted:
        return []
    return [
        (page, position)
        for page, position, normal in index.get(wanted.split(" ", 1)[0], [])
        if normal.startswith(wanted) or (len(normal) >= _MIN_WRAPPED and wanted.startswith(normal))
    ]
