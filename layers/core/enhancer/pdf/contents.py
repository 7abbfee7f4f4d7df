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
_MAX_CONTENTS_PAGES = 12
_DRIFT_PAGES = 15
_INDENT_SLACK = 0.005  # of the page width (a line's ``left``): about 3 points


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
    run = _continued(layout, _first_run(sorted(layout.toc_pages)), markers)
    for page in run:
        lines = layout.lines[page - 1] if layout.lines else []
        styles = layout.styles[page - 1] if layout.styles else []
        lefts: list[float] = []
        arabic: list[bool] = []
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
                lefts.append(style.left if style is not None else 0.0)
                arabic.append(match["page"].isdigit())
        # Indentation from the page's own left edge (facing pages have different margins), found from its
        # entries with arabic page numbers: a roman-numbered line may be a printer's slug in the margin.
        edge = min(
            (left for left, digit in zip(lefts, arabic, strict=True) if digit), default=min(lefts or [0.0])
        )
        indents += [left - edge for left in lefts]
    if len(printed) < _MIN_ENTRIES:
        return []
    toc_end = run[-1]
    index = _line_index(layout, toc_end + 1)
    headings = [_locate(index, title) for title, _ in printed]  # where each title starts a line
    pages = _physical_pages(layout, printed, headings)
    if pages is None:
        return []
    entries: list[ContentsEntry] = []
    rank_of = _indent_ranks(indents)
    for (title, _), indent, target, found in zip(printed, indents, pages, headings, strict=True):
        if target is None or not toc_end < target <= len(layout.body):
            continue
        kind, _ = heading_kind(title, compiled)
        at = next((line for page, line in found if page == target), 0)
        entries.append(ContentsEntry(title, target, at, kind, numbering(title), rank_of(indent)))
    return entries if len(entries) >= _MIN_ENTRIES else []


_Index = dict[str, list[tuple[int, int, str]]]


def _indent_ranks(indents: list[float]) -> Callable[[float], int]:
    """Rank of an indentation among the distinct ones (within ``_INDENT_SLACK``: the same one)."""
    steps: list[float] = []
    for indent in sorted(set(indents)):
        if not steps or indent - steps[-1] > _INDENT_SLACK:
            steps.append(indent)
    return lambda indent: max(rank for rank, step in enumerate(steps) if step <= indent + _INDENT_SLACK)


def _first_run(pages: list[int]) -> list[int]:
    """The first contents page and those right after it (an index at the back is not the contents)."""
    run = pages[:1]
    for page in pages[1:]:
        if page != run[-1] + 1:
            break
        run.append(page)
    return run


def _continued(layout: PageLayout, run: list[int], markers: set[str]) -> list[int]:
    """The run and the pages right after it that go on listing entries without a "Contents" marker of their
    own (a book's contents over three pages): most of their lines with words are entries."""
    if not run or not layout.lines:
        return run
    run = list(run)
    while run[-1] < len(layout.lines) and len(run) < _MAX_CONTENTS_PAGES:
        worded = [
            line
            for line in layout.lines[run[-1]]
            if sum(ch.isalpha() for ch in line) >= 2 and line.lower().strip(" :.") not in markers
        ]
        entries = sum(1 for line in worded if _ENTRY.match(line))
        if entries < _MIN_ENTRIES or entries * 2 < len(worded):
            break
        run.append(run[-1] + 1)
    return run


def _physical_pages(
    layout: PageLayout, printed: list[tuple[str, str]], headings: list[list[tuple[int, int]]]
) -> list[int | None] | None:
    """Each entry's physical page: its printed number through the page labels, or else through the offset
    its headings (``headings``: where each title starts a line) reveal. That offset may drift through a
    book (a plate or a blank page the PDF added or left out): each entry whose title is found as a line
    within ``_DRIFT_PAGES`` of where the offset puts it takes that page, and the entries after it are placed
    from there. None: the contents are not trusted."""
    if layout.labels:
        labels = {label.lower(): number for number, label in enumerate(layout.labels, start=1)}
        return [labels.get(number.lower()) for _, number in printed]
    located = [
        [page for page, _ in found] if number.isdigit() else []
        for (_, number), found in zip(printed, headings, strict=True)
    ]
    offsets = Counter(
        found[0] - int(number) for (_, number), found in zip(printed, located, strict=True) if found
    )
    if not offsets:
        return None
    offset = offsets.most_common(1)[0][0]
    pages: list[int | None] = []
    for (_, number), found in zip(printed, located, strict=True):
        if not number.isdigit():
            pages.append(None)
            continue
        expected = int(number) + offset
        near = [page for page in found if abs(page - expected) <= _DRIFT_PAGES]
        page = min(near, key=lambda p: abs(p - expected)) if near else expected
        offset = page - int(number)
        pages.append(page)
    return pages


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
