"""Chapter detection: the outline, else heading patterns, else fixed page windows.

Whatever the method, chapters tile pages 1..page_count without gaps or overlap; pages before the
first chapter become "Front matter"; chapters under ``min_chapter_chars`` merge into a neighbour
and chapters over ``max_chapter_chars`` are split into parts, on page boundaries where possible,
so that no LLM call overflows. The one exception to strict tiling: when a single page alone holds
more than ``max_chapter_chars``, the consecutive parts cut from it share that page.
"""

import math
import re
from dataclasses import dataclass, field

from enhancer.config import ChapterPatternsConfig, ProfileConfig
from enhancer.models import DetectedBy
from enhancer.models.extraction import ExtractedChapter, OutlineEntry, Section
from enhancer.pdf.layout import PageLayout

FRONT_MATTER = "Front matter"
_PAGE_SEPARATOR = "\n\n"
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
_WORDS = {w: n for n, w in enumerate([*_NUMBER_WORDS, "twelve"], start=1)}
_WORDS |= {"premier": 1, "premi\u00e8re": 1, "primero": 1, "uno": 1, "um": 1, "primo": 1}


@dataclass
class _Span:
    title: str
    start: int
    end: int
    detected_by: DetectedBy
    sections: list[Section] = field(default_factory=list)


@dataclass
class _Start:
    page: int
    title: str
    sections: list[Section] = field(default_factory=list)


def detect_chapters(
    layout: PageLayout,
    outline: list[OutlineEntry],
    patterns: ChapterPatternsConfig,
    profile: ProfileConfig,
) -> list[ExtractedChapter]:
    """Chapters in page order with contiguous indexes from 0; see the module docstring for the rules."""
    page_count = len(layout.body)
    spans = (
        outline_spans(outline, layout)
        or pattern_spans(layout, patterns)
        or fallback_spans(page_count, profile.fallback_pages_per_chapter)
    )
    chapters = _merge_small([(span, _span_text(layout, span)) for span in spans], profile.min_chapter_chars)
    result: list[ExtractedChapter] = []
    for span, _ in chapters:
        for part in _split(layout, span, profile.max_chapter_chars, profile.min_chapter_chars):
            result.append(part.model_copy(update={"index": len(result)}))
    return result


def outline_spans(outline: list[OutlineEntry], layout: PageLayout) -> list[_Span] | None:
    """Top-level outline entries as chapters (descending while the top holds a single entry)."""
    page_count = len(layout.body)
    resolved = [e for e in outline if e.page is not None and e.page <= page_count]
    if not resolved:
        return None
    levels = sorted({e.level for e in resolved})
    top = levels[0]
    for deeper in levels[1:]:
        if sum(1 for e in resolved if e.level == top) >= 2:
            break
        top = deeper
    starts: list[_Start] = []
    for entry in sorted((e for e in resolved if e.level == top), key=lambda e: e.page or 0):
        assert entry.page is not None
        title = entry.title or _page_heading(layout, entry.page) or f"Chapter {len(starts) + 1}"
        if starts and starts[-1].page == entry.page:
            # Two chapters cannot share a first page: the later one is kept as a section.
            starts[-1].sections.append(Section(title=title, page=entry.page, level=1))
        else:
            starts.append(_Start(page=entry.page, title=title))
    spans = _tile(starts, page_count, DetectedBy.OUTLINE)
    for entry in resolved:
        if entry.level > top and entry.title and entry.page is not None:
            owner = next(s for s in reversed(spans) if s.start <= entry.page)
            owner.sections.append(Section(title=entry.title, page=entry.page, level=entry.level - top))
    return spans


def pattern_spans(layout: PageLayout, patterns: ChapterPatternsConfig) -> list[_Span] | None:
    """A chapter starts on each page whose top lines match a heading pattern; needs two to count."""
    compiled = _compile(patterns)
    last_number: dict[str, int] = {}
    last_title = ""
    starts: list[_Start] = []
    for page, lines in enumerate(layout.headings, start=1):
        if page in layout.toc_pages:
            continue
        heading = _match_heading(lines, compiled, last_number, last_title)
        if heading is not None:
            starts.append(_Start(page=page, title=heading))
            last_title = heading
    if len(starts) < 2:
        return None
    return _tile(starts, len(layout.body), DetectedBy.PATTERN)


def match_heading_line(line: str, patterns: ChapterPatternsConfig) -> str | None:
    """The heading a single line announces, or None: the matcher on its own, for tests and tools."""
    return _match_heading([line], _compile(patterns), {}, "")


def _compile(patterns: ChapterPatternsConfig) -> list[tuple[str, re.Pattern[str]]]:
    # Section-level patterns never start a chapter.
    return [(p.name, p.compiled()) for p in patterns.heading_patterns if p.kind != "section"]


def _match_heading(
    lines: list[str],
    compiled: list[tuple[str, re.Pattern[str]]],
    last_number: dict[str, int],
    last_title: str,
) -> str | None:
    for position, line in enumerate(lines):
        for name, pattern in compiled:
            match = pattern.match(line)
            if match is None:
                continue
            groups = match.groupdict()
            number = _number(groups.get("number") or groups.get("ordinal"))
            # Numbers rise per pattern: a repeated running heading or a stray "2 Apples" is no chapter.
            if number is not None and number <= last_number.get(name, 0):
                continue
            title = line
            if not (groups.get("title") or "").strip() and position + 1 < len(lines):
                title = f"{line} {lines[position + 1]}"
            if title == last_title:
                continue
            if number is not None:
                last_number[name] = number
            return " ".join(title.split())
    return None


def _number(value: str | None) -> int | None:
    if not value:
        return None
    text = value.lower()
    if text.isdigit():
        return int(text)
    if text in _WORDS:
        return _WORDS[text]
    if all(ch in _ROMAN for ch in text):
        total = 0
        for ch, nxt in zip(text, [*text[1:], ""], strict=True):
            value_ch = _ROMAN[ch]
            total += -value_ch if nxt and _ROMAN[nxt] > value_ch else value_ch
        return total if total > 0 else None
    if len(text) == 1 and text.isalpha():
        return ord(text) - ord("a") + 1  # appendix letters
    return None


def fallback_spans(page_count: int, window: int) -> list[_Span]:
    spans = []
    for start in range(1, page_count + 1, window):
        end = min(start + window - 1, page_count)
        title = f"Page {start}" if start == end else f"Pages {start}\u2013{end}"
        spans.append(_Span(title=title, start=start, end=end, detected_by=DetectedBy.FALLBACK))
    return spans


def _tile(starts: list[_Start], page_count: int, detected_by: DetectedBy) -> list[_Span]:
    spans: list[_Span] = []
    if starts[0].page > 1:
        spans.append(_Span(FRONT_MATTER, 1, starts[0].page - 1, detected_by))
    for current, following in zip(starts, [*starts[1:], None], strict=True):
        end = following.page - 1 if following is not None else page_count
        spans.append(_Span(current.title, current.page, end, detected_by, list(current.sections)))
    return spans


def _page_heading(layout: PageLayout, page: int) -> str | None:
    lines = layout.headings[page - 1]
    return lines[0] if lines else None


def _span_text(layout: PageLayout, span: _Span) -> str:
    return _PAGE_SEPARATOR.join(t for t in layout.body[span.start - 1 : span.end] if t)


def _merge_small(chapters: list[tuple[_Span, str]], min_chars: int) -> list[tuple[_Span, str]]:
    """Fragments join a neighbour: the first (front matter) the next, any other the smaller neighbour."""
    items = list(chapters)
    while len(items) > 1:
        small = next((i for i, (_, text) in enumerate(items) if len(text) < min_chars), None)
        if small is None:
            break
        if small == 0:
            into = 1
        elif small == len(items) - 1:
            into = small - 1
        else:
            into = small - 1 if len(items[small - 1][1]) <= len(items[small + 1][1]) else small + 1
        first, second = sorted((small, into))
        (a, a_text), (b, b_text) = items[first], items[second]
        keep = items[into][0]
        merged = _Span(
            title=keep.title,
            start=a.start,
            end=b.end,
            detected_by=keep.detected_by,
            sections=[*a.sections, *b.sections],
        )
        items[first : second + 1] = [(merged, _PAGE_SEPARATOR.join(t for t in (a_text, b_text) if t))]
    return items


def _split(layout: PageLayout, span: _Span, max_chars: int, min_chars: int) -> list[ExtractedChapter]:
    pieces = _pieces(layout, span, max_chars)
    parts = len(pieces)
    return [
        ExtractedChapter(
            index=0,
            title=span.title,
            start_page=start,
            end_page=end,
            detected_by=span.detected_by,
            char_count=len(text),
            sections=[s for s in span.sections if start <= s.page <= end],
            part=number if parts > 1 else None,
            parts=parts if parts > 1 else None,
            text=text,
        )
        for number, (start, end, text) in enumerate(pieces, start=1)
    ]


def _pieces(layout: PageLayout, span: _Span, max_chars: int) -> list[tuple[int, int, str]]:
    """Greedy page groups near an even share of the text; a page over the limit is cut in text."""
    pages = [(p, layout.body[p - 1]) for p in range(span.start, span.end + 1)]
    total = sum(len(t) for _, t in pages) + len(_PAGE_SEPARATOR) * (len(pages) - 1)
    if total <= max_chars:
        return [(span.start, span.end, _PAGE_SEPARATOR.join(t for _, t in pages if t))]
    target = min(max_chars, math.ceil(total / math.ceil(total / max_chars)))
    pieces: list[tuple[int, int, str]] = []
    group: list[tuple[int, str]] = []

    def flush() -> None:
        if group:
            pieces.append((group[0][0], group[-1][0], _PAGE_SEPARATOR.join(t for _, t in group if t)))
            group.clear()

    for page, text in pages:
        if len(text) > max_chars:
            flush()
            pieces.extend((page, page, chunk) for chunk in split_text(text, max_chars))
            continue
        size = sum(len(t) + len(_PAGE_SEPARATOR) for _, t in group) + len(text)
        if group and size > target:
            flush()
        group.append((page, text))
    flush()
    return pieces


def split_text(text: str, max_chars: int) -> list[str]:
    """Cut text into chunks of at most max_chars, at paragraph, then line, sentence, word boundaries."""
    if len(text) <= max_chars:
        return [text]
    for separator in ("\n\n", "\n", ". ", " "):
        units = text.split(separator)
        if len(units) < 2:
            continue
        chunks: list[str] = []
        current = ""
        for unit in units:
            candidate = f"{current}{separator}{unit}" if current else unit
            if len(candidate) <= max_chars:
                current = candidate
                continue
            if current:
                chunks.append(current)
            current = unit
        chunks.append(current)
        return [piece for chunk in chunks for piece in split_text(chunk, max_chars)]
    return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
