"""What each page's text means for chapter detection: heading candidates, running lines, TOC pages.

Running headers and footers are lines near the top or bottom that repeat (digits normalised) on at
least ``running_line_min_pages`` pages; bare page numbers and table-of-contents pages never
provide a heading. The cleaned page text (running lines and page numbers removed) is what the
chapters carry.
"""

import re
from collections import Counter, deque
from dataclasses import dataclass, field

from enhancer.config import ChapterPatternsConfig
from enhancer.pdf.typography import StyledLine

_EDGE_LINES = 2  # running headers/footers live in the first and last two lines
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?$|^[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]$",
    re.IGNORECASE,
)
_DOTTED_LEADER = re.compile(r"(?:\.\s?){3,}\s*\d{1,4}$|\u2026\s*\d{1,4}$")
_TRAILING_PAGE_NUMBER = re.compile(r"^(?P<entry>.*\S)\s+\d{1,4}$")
_TOC_MIN_ENTRIES = 3
_TOC_MIN_SHARE = 0.4


@dataclass(frozen=True)
class PageLayout:
    """Per page (index = page - 1): ``body`` without running lines and page numbers, heading candidates.

    ``lines`` are the body's lines; ``styles`` their typography where the engine gave it (None per line
    it did not), ``labels`` the printed page labels when the PDF has them.
    """

    body: list[str]
    headings: list[list[str]]
    toc_pages: frozenset[int]  # 1-based
    lines: list[list[str]] = field(default_factory=list)
    styles: list[list[StyledLine | None]] = field(default_factory=list)
    labels: list[str] | None = None
    body_size: float = 0.0  # the size most characters are set in; 0 without typography
    bold_share: float = 0.0  # share of characters in bold lines

    @property
    def has_styles(self) -> bool:
        return any(style is not None for page in self.styles for style in page)

    def label(self, page: int) -> str | None:
        return self.labels[page - 1] if self.labels and 1 <= page <= len(self.labels) else None


def analyse_pages(
    pages: list[str],
    patterns: ChapterPatternsConfig,
    *,
    styles: list[list[StyledLine]] | None = None,
    labels: list[str] | None = None,
) -> PageLayout:
    compiled = [p.compiled() for p in patterns.heading_patterns]
    markers = {m.lower() for m in patterns.toc_markers}
    page_lines = [[line.strip() for line in text.split("\n") if line.strip()] for text in pages]
    keys: Counter[str] = Counter()
    raws: Counter[str] = Counter()
    for lines in page_lines:
        # Running headers and footers are short; a long edge line is body text.
        edges = [
            line
            for position, line in enumerate(lines)
            if _is_edge(position, len(lines)) and len(line) <= patterns.max_heading_chars
        ]
        keys.update({_key(line) for line in edges})
        raws.update(set(edges))
    running = {key for key, pages in keys.items() if pages >= patterns.running_line_min_pages}

    body: list[str] = []
    headings: list[list[str]] = []
    kept_lines: list[list[str]] = []
    kept_styles: list[list[StyledLine | None]] = []
    toc_pages: set[int] = set()
    for number, lines in enumerate(page_lines, start=1):
        kept: list[str] = []
        candidates: list[str] = []
        for position, line in enumerate(lines):
            edge = _is_edge(position, len(lines))
            if edge and _is_page_number(line):
                continue
            if not (edge and _key(line) in running):
                kept.append(line)
                candidates.append(line)
                continue
            heading = _heading_match(line, compiled)
            if heading is not None and not (heading.groupdict().get("title") or "").strip():
                # "Chapter 3" alone on its opening page: digits normalised, every chapter looks alike.
                kept.append(line)
                candidates.append(line)
            elif heading is not None and raws[line] >= 2:
                # The same chapter line atop every page of that chapter: its first page opens the
                # chapter (detection skips the repeats), the rest is running-header noise.
                candidates.append(line)
        body.append("\n".join(kept))
        kept_lines.append(kept)
        kept_styles.append(_align(kept, styles[number - 1] if styles and len(styles) >= number else []))
        if _is_toc_page(kept, markers, compiled, patterns.heading_search_lines):
            toc_pages.add(number)
        headings.append(
            [
                line
                for line in candidates[: patterns.heading_search_lines]
                if len(line) <= patterns.max_heading_chars
            ]
        )
    return PageLayout(
        body=body,
        headings=headings,
        toc_pages=frozenset(toc_pages),
        lines=kept_lines,
        styles=kept_styles,
        labels=labels if labels and len(labels) == len(pages) else None,
        **_body_style(styles or []),
    )


def _body_style(styles: list[list[StyledLine]]) -> dict[str, float]:
    """The size most characters are set in (to half a point; long lines included), and the bold share."""
    weights: Counter[float] = Counter()
    bold = total = 0
    for page in styles:
        for line in page:
            weights[round(line.size * 2) / 2] += line.chars
            total += line.chars
            bold += line.chars if line.bold else 0
    if not total:
        return {"body_size": 0.0, "bold_share": 0.0}
    return {"body_size": max(weights, key=lambda size: weights[size]), "bold_share": bold / total}


def _heading_match(line: str, compiled: list[re.Pattern[str]]) -> re.Match[str] | None:
    for pattern in compiled:
        if match := pattern.match(line):
            return match
    return None


def _is_edge(position: int, count: int) -> bool:
    return position < _EDGE_LINES or position >= count - _EDGE_LINES


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line))


def _is_toc_page(
    lines: list[str], markers: set[str], compiled: list[re.Pattern[str]], search_lines: int
) -> bool:
    # "contents." ending a wrapped sentence is no marker: a heading ends without a full stop.
    if any(line.lower().strip(" :") in markers for line in lines[:search_lines]):
        return True
    entries = sum(1 for line in lines if _is_toc_entry(line, compiled))
    return entries >= _TOC_MIN_ENTRIES and entries >= _TOC_MIN_SHARE * len(lines)


def _is_toc_entry(line: str, compiled: list[re.Pattern[str]]) -> bool:
    if not line[-1:].isdigit():
        return False  # both kinds of entry end with their page number
    if _DOTTED_LEADER.search(line):
        return True
    match = _TRAILING_PAGE_NUMBER.match(line)
    return bool(match and any(p.match(match["entry"]) for p in compiled))


def _align(lines: list[str], styled: list[StyledLine]) -> list[StyledLine | None]:
    """Each kept line's typography, matched by its text in page order."""
    by_text: dict[str, deque[StyledLine]] = {}
    for styled_line in styled:
        if styled_line.text:
            by_text.setdefault(styled_line.text, deque()).append(styled_line)
    out: list[StyledLine | None] = []
    for line in lines:
        queue = by_text.get(line)
        out.append(queue.popleft() if queue else None)
    return out
