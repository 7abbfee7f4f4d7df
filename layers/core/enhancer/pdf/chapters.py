"""Chapter detection: the outline, else a printed contents page, else typography or heading patterns,
else fixed page windows; parts above chapters, sections below them.

Whatever the method, chapters tile pages 1..page_count in order; pages before the first chapter become
"Front matter"; chapters under ``min_chapter_chars`` merge into a neighbour and chapters over
``max_chapter_chars`` are split into parts, at their own section headings first, then on page
boundaries, so that no LLM call overflows. Two chapters share a page only where the later one opens
mid-page (``starts_mid_page``: its heading sits below the text that ends the earlier one) or where a
single page alone holds more than ``max_chapter_chars`` and the parts cut from it share that page.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from enhancer.config import ChapterPatternsConfig, ProfileConfig
from enhancer.models import DetectedBy
from enhancer.models.extraction import ExtractedChapter, OutlineEntry, Section
from enhancer.pdf.contents import ContentsEntry, contents_entries
from enhancer.pdf.headings import Heading, choose_levels, clean_title, typographic_headings
from enhancer.pdf.layout import PageLayout

FRONT_MATTER = "Front matter"
_PAGE_SEPARATOR = "\n\n"
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_NUMBER_WORDS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
_WORDS = {w: n for n, w in enumerate(_NUMBER_WORDS, start=1)}
_STRAY_CHARS = 60  # text above a heading up to this long (a running line) does not make it mid-page
_TRAILING_NUMBER = re.compile(r"^(?P<title>.*[^\d\s])\s+(?P<number>\d{1,4})$")
_PAGE_NUMBER_SLACK = 30  # a trailing number this close to the physical page is its printed page number
PART_MIN_PAGES = 20  # shorter documents keep their top level as chapters
MAX_PARTS = 8
PART_OWN_CHARS = 1500  # a part's own pages before its first chapter hold at most this much text
_WORDS |= {"premier": 1, "premi\u00e8re": 1, "primero": 1, "uno": 1, "um": 1, "primo": 1}


@dataclass
class _Start:
    page: int
    title: str
    line: int = 0  # the heading's line on its page (0 = top)
    is_part: bool = False
    part_title: str | None = None
    sections: list[tuple[Section, int]] = field(default_factory=list)  # with their line on the page


@dataclass
class _Span:
    title: str
    start: int
    end: int
    detected_by: DetectedBy
    sections: list[tuple[Section, int]] = field(default_factory=list)
    start_line: int = 0
    end_line: int | None = None  # exclusive, on the end page; None = to the end of the page
    is_part: bool = False
    part_title: str | None = None


def detect_chapters(
    layout: PageLayout,
    outline: list[OutlineEntry],
    patterns: ChapterPatternsConfig,
    profile: ProfileConfig,
) -> list[ExtractedChapter]:
    """Chapters in page order with contiguous indexes from 0; see the module docstring for the rules."""
    page_count = len(layout.body)
    found = typographic_headings(layout, patterns)
    spans = (
        outline_spans(outline, layout)
        or contents_spans(layout, patterns)
        or _typography_or_pattern(layout, patterns, found)
        or fallback_spans(page_count, profile.fallback_pages_per_chapter)
    )
    if not any(span.sections for span in spans):
        _fill_sections(spans, layout, found)
    spans = _fold_part_pages(layout, spans, profile.min_chapter_chars)
    chapters = _merge_small([(span, _span_text(layout, span)) for span in spans], profile.min_chapter_chars)
    result: list[ExtractedChapter] = []
    for span, _ in chapters:
        for part in _split(layout, span, profile.max_chapter_chars):
            result.append(part.model_copy(update={"index": len(result)}))
    return result


def outline_spans(outline: list[OutlineEntry], layout: PageLayout) -> list[_Span] | None:
    """Outline entries as chapters: the top level (descending while it holds a single entry), except that
    the top entries that are parts (``_outline_parts``) give their children as chapters, in a document of
    ``PART_MIN_PAGES`` pages or more. Deeper entries are the chapters' sections."""
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
    below = [level for level in levels if level > top]
    parts = (
        _outline_parts(resolved, top, below[0], layout) if below and page_count >= PART_MIN_PAGES else set()
    )
    # Each entry's role, in outline order: a part, a chapter, or a section of the chapter above it.
    heads: list[tuple[OutlineEntry, bool]] = []  # (entry, is_part)
    deeper_entries: list[tuple[OutlineEntry, int]] = []  # (entry, section level)
    chapter_level = top
    for position, entry in enumerate(resolved):
        if entry.level < top:
            continue  # above a single-entry top level that was descended through
        if entry.level == top:
            chapter_level = below[0] if position in parts else top
            heads.append((entry, position in parts))
        elif entry.level == chapter_level:
            heads.append((entry, False))
        else:
            deeper_entries.append((entry, entry.level - chapter_level))
    starts: list[_Start] = []
    part_title: str | None = None
    for entry, is_part in sorted(heads, key=lambda head: head[0].page or 0):
        assert entry.page is not None
        title = entry.title or _page_heading(layout, entry.page) or f"Chapter {len(starts) + 1}"
        title = _clean(title, entry.page, layout)
        if is_part:
            part_title = title
        elif entry.level == top:
            part_title = None  # a chapter outside any part (a preface, a conclusion)
        if starts and starts[-1].page == entry.page:
            if starts[-1].is_part and not is_part:
                # A part and its first chapter on one page: the chapter opens there, inside the part.
                starts[-1] = _Start(page=entry.page, title=title, part_title=part_title)
                continue
            # Two chapters cannot share a first page: the later one is kept as a section.
            starts[-1].sections.append((Section(title=title, page=entry.page, level=1), 0))
        else:
            starts.append(_Start(page=entry.page, title=title, is_part=is_part, part_title=part_title))
    spans = _tile(starts, layout, DetectedBy.OUTLINE)
    for entry, level in deeper_entries:
        if entry.title and entry.page is not None:
            owner = next(s for s in reversed(spans) if s.start <= entry.page)
            section = Section(
                title=_clean(entry.title, entry.page, layout),
                page=entry.page,
                level=level,
                page_label=layout.label(entry.page),
            )
            owner.sections.append((section, 0))
    return spans


# A chapter's own number at the start of an outline title: "Chapter 1: Creators", "2: Copyists", "10. Why";
# not a section's "1.2 Scope".
_CHAPTER_NUMBER = re.compile(
    r"^(?:chapter|chapitre|kapitel|cap[\u00edi]tulo|capitolo|hoofdstuk)?\s*(?P<number>\d{1,3}|[a-z]{3,9})"
    r"(?:\s*[:.\u2014\u2013-](?!\d)|\s)\s*\S",
    re.IGNORECASE,
)


def _outline_parts(resolved: list[OutlineEntry], top: int, lower: int, layout: PageLayout) -> set[int]:
    """The positions in ``resolved`` of the top entries that are parts, each holding two chapters or more.

    Two ways to tell a part from a chapter with sections. Either the chapters are numbered across the parts
    (one part ends with chapter 5, the next opens with chapter 6: a book whose front and back matter sit
    beside its parts at the top level), and then the top entries holding that numbering are the parts; or
    every top entry, a handful, holds two entries or more with little text of its own before the first of
    them (a part's title page, not a chapter's opening pages)."""
    children: dict[int, list[OutlineEntry]] = {}
    owner: int | None = None
    for position, entry in enumerate(resolved):
        if entry.level == top:
            owner = position
            children[owner] = []
        elif entry.level == lower and owner is not None:
            children[owner].append(entry)
    holding = {position: held for position, held in children.items() if len(held) >= 2}
    numbered = {position: _chapter_numbers(held) for position, held in holding.items()}
    numbered = {position: numbers for position, numbers in numbered.items() if numbers}
    runs = list(numbered.values())
    if 2 <= len(runs) <= MAX_PARTS and all(b[0] == a[-1] + 1 for a, b in pairwise(runs)):
        return set(numbered)
    own: list[int] = []
    for position, held in children.items():
        start = resolved[position].page
        assert start is not None
        own.append(sum(len(t) for t in layout.body[start - 1 : (held[0].page or start) - 1]) if held else 0)
    if (
        2 <= len(children) <= MAX_PARTS
        and len(holding) == len(children)
        and all(c <= PART_OWN_CHARS for c in own)
    ):
        return set(children)
    return set()


def _chapter_numbers(entries: list[OutlineEntry]) -> list[int]:
    """The chapter numbers the entries carry, when each does and they rise by one; else []."""
    numbers = []
    for entry in entries:
        match = _CHAPTER_NUMBER.match(entry.title.strip())
        number = _number(match.group("number")) if match else None
        if number is None:
            return []
        numbers.append(number)
    return numbers if all(b == a + 1 for a, b in pairwise(numbers)) else []


def contents_spans(layout: PageLayout, patterns: ChapterPatternsConfig) -> list[_Span] | None:
    """Chapters from a printed contents page, mapped to physical pages (see ``enhancer.pdf.contents``)."""
    if not layout.toc_pages:
        return None
    entries = contents_entries(layout, patterns)
    if not entries:
        return None
    found = [
        Heading(e.page, e.line, e.title, 0.0, False, e.kind, e.depth, level=_contents_level(e))
        for e in entries
    ]
    _rank(found)
    return _heading_spans(found, layout, DetectedBy.CONTENTS)


def _fill_sections(spans: list[_Span], layout: PageLayout, found: list[Heading]) -> None:
    """Sections from typography for chapters found another way (an outline without deeper levels, the
    patterns, a contents page listing chapters only): the headings below the level of the headings that
    open the chapters."""
    opening: Counter[int] = Counter()
    for heading in found:
        title = _normal(heading.title)
        for span in spans:
            if span.start == heading.page and title and _normal(span.title).startswith(title[:40]):
                opening[heading.level] += 1
                break
    if not opening:
        return
    chapter_level = opening.most_common(1)[0][0]
    below = sorted({h.level for h in found if h.level > chapter_level})
    for heading in found:
        if heading.level not in below:
            continue
        owner = next(
            (s for s in reversed(spans) if (s.start, s.start_line) <= (heading.page, heading.line)), None
        )
        if owner is None or owner.title == FRONT_MATTER:
            continue
        section = Section(
            title=_clean(heading.title, heading.page, layout),
            page=heading.page,
            level=below.index(heading.level) + 1,
            page_label=layout.label(heading.page),
        )
        owner.sections.append((section, heading.line))


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def _typography_or_pattern(
    layout: PageLayout, patterns: ChapterPatternsConfig, found: list[Heading]
) -> list[_Span] | None:
    """Typography when it finds chapters the top-of-page patterns miss (beyond the first page) or parts
    above them, else the patterns: where both see the same chapters, the pattern result is the one both
    engines give."""
    typography = _heading_spans(found, layout, DetectedBy.TYPOGRAPHY)
    pattern = pattern_spans(layout, patterns)
    if typography is None or pattern is None:
        return typography or pattern
    pattern_pages = {s.start for s in pattern if s.title != FRONT_MATTER}
    extra = {s.start for s in typography if s.title != FRONT_MATTER and not s.is_part} - pattern_pages - {1}
    parts = any(s.is_part or s.part_title for s in typography)
    return typography if extra or parts else pattern


def _contents_level(entry: ContentsEntry) -> int:
    if entry.kind == "part":
        return 0
    return 1 + entry.indent * 10 + max(entry.depth, 1)


def _rank(found: list[Heading]) -> None:
    ranks = sorted({h.level for h in found})
    for heading in found:
        heading.level = ranks.index(heading.level)


def _heading_spans(found: list[Heading], layout: PageLayout, detected_by: DetectedBy) -> list[_Span] | None:
    levels = choose_levels(found, len(layout.body))
    if levels is None:
        return None
    sections_below = sorted({h.level for h in found if h.level > levels.chapter})
    starts: list[_Start] = []
    part_title: str | None = None
    for heading in found:
        title = _clean(heading.title, heading.page, layout)
        if heading.level == levels.part:
            part_title = title
            starts.append(_Start(heading.page, title, heading.line, is_part=True, part_title=title))
        elif heading.level == levels.chapter:
            starts.append(_Start(heading.page, title, heading.line, part_title=part_title))
        elif heading.level in sections_below and starts:
            level = sections_below.index(heading.level) + 1
            section = Section(
                title=title, page=heading.page, level=level, page_label=layout.label(heading.page)
            )
            starts[-1].sections.append((section, heading.line))
    if sum(1 for s in starts if not s.is_part) < 2:
        return None
    return _tile(starts, layout, detected_by)


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
            starts.append(_Start(page=page, title=_clean(heading, page, layout)))
            last_title = heading
    if len(starts) < 2:
        return None
    return _tile(starts, layout, DetectedBy.PATTERN)


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


def _tile(starts: list[_Start], layout: PageLayout, detected_by: DetectedBy) -> list[_Span]:
    """Spans from each start to the next. A start below other text on its page (more than a stray line)
    opens mid-page: the text above it closes the previous span, which then ends on that page."""
    page_count = len(layout.body)
    lines = [
        _top_or_mid(layout, start, previous)
        for start, previous in zip(starts, [None, *starts[:-1]], strict=True)
    ]
    spans: list[_Span] = []
    if starts[0].page > 1 or lines[0] > 0:
        end, end_line = _end_before(starts[0].page, lines[0])
        spans.append(_Span(FRONT_MATTER, 1, end, detected_by, end_line=end_line))
    for position, current in enumerate(starts):
        if position + 1 < len(starts):
            end, end_line = _end_before(starts[position + 1].page, lines[position + 1])
        else:
            end, end_line = page_count, None
        spans.append(
            _Span(
                current.title,
                current.page,
                end,
                detected_by,
                list(current.sections),
                start_line=lines[position],
                end_line=end_line,
                is_part=current.is_part,
                part_title=current.part_title,
            )
        )
    return spans


def _top_or_mid(layout: PageLayout, start: _Start, previous: _Start | None) -> int:
    if start.line == 0 or (previous is not None and previous.page == start.page):
        return start.line
    above = _page_lines(layout, start.page)[: start.line]
    return start.line if sum(len(line) for line in above) > _STRAY_CHARS else 0


def _end_before(page: int, line: int) -> tuple[int, int | None]:
    return (page, line) if line > 0 else (page - 1, None)


def _page_lines(layout: PageLayout, page: int) -> list[str]:
    if layout.lines:
        return layout.lines[page - 1]
    text = layout.body[page - 1]
    return text.split("\n") if text else []


def _clean(title: str, page: int, layout: PageLayout) -> str:
    """A title without dot leaders and without the page number a running header or contents line adds."""
    title = clean_title(title) or title.strip()
    match = _TRAILING_NUMBER.match(title)
    if match:
        number = match["number"]
        label = layout.label(page)
        near = 2 <= int(number) <= page and page - int(number) <= _PAGE_NUMBER_SLACK
        if (label is not None and number == label) or (near and len(match["title"].split()) >= 4):
            title = match["title"].rstrip(" -\u2013\u2014:|.")
    return title


def _page_heading(layout: PageLayout, page: int) -> str | None:
    lines = layout.headings[page - 1]
    return lines[0] if lines else None


def _span_pages(layout: PageLayout, span: _Span) -> list[tuple[int, int, str]]:
    """``(page, first line, text)`` of each page of the span, cut at its first and last line."""
    out: list[tuple[int, int, str]] = []
    for page in range(span.start, span.end + 1):
        first = span.start_line if page == span.start else 0
        last = span.end_line if page == span.end else None
        if first == 0 and last is None:
            out.append((page, 0, layout.body[page - 1]))
        else:
            out.append((page, first, "\n".join(_page_lines(layout, page)[first:last])))
    return out


def _span_text(layout: PageLayout, span: _Span) -> str:
    return _PAGE_SEPARATOR.join(t for _, _, t in _span_pages(layout, span) if t)


def _fold_part_pages(layout: PageLayout, spans: list[_Span], min_chars: int) -> list[_Span]:
    """A part's own pages (its title, a short introduction) join the span before them, so its first
    chapter still opens on its own heading; a part with a long introduction stays a span of its own."""
    out: list[_Span] = []
    for span in spans:
        if span.is_part and out and len(_span_text(layout, span)) < min_chars:
            previous = out[-1]
            previous.end, previous.end_line = span.end, span.end_line
            previous.sections.extend(span.sections)
            continue
        out.append(span)
    return out


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
            start_line=a.start_line,
            end_line=b.end_line,
            is_part=keep.is_part,
            part_title=keep.part_title,
        )
        items[first : second + 1] = [(merged, _PAGE_SEPARATOR.join(t for t in (a_text, b_text) if t))]
    return items


def _split(layout: PageLayout, span: _Span, max_chars: int) -> list[ExtractedChapter]:
    pieces = _pieces(layout, span, max_chars)
    parts = len(pieces)
    chapters: list[ExtractedChapter] = []
    previous_end: int | None = None
    for number, (start, line, end, text) in enumerate(pieces, start=1):
        chapters.append(
            ExtractedChapter(
                index=0,
                title=f"{span.title} (part {number} of {parts})" if parts > 1 else span.title,
                start_page=start,
                end_page=end,
                start_label=layout.label(start),
                end_label=layout.label(end),
                starts_mid_page=line > 0 or start == previous_end,
                detected_by=span.detected_by,
                char_count=len(text),
                sections=[s for s, _ in span.sections if start <= s.page <= end],
                part_title=span.part_title if not span.is_part else None,
                part=number if parts > 1 else None,
                parts=parts if parts > 1 else None,
                text=text,
            )
        )
        previous_end = end
    return chapters


def _pieces(layout: PageLayout, span: _Span, max_chars: int) -> list[tuple[int, int, int, str]]:
    """``(start page, start line, end page, text)`` pieces of at most ``max_chars``: the span's own
    section boundaries first, then page boundaries (greedy groups near an even share of the text),
    then text boundaries for a page over the limit."""
    pages = _span_pages(layout, span)
    total = sum(len(t) for _, _, t in pages) + len(_PAGE_SEPARATOR) * (len(pages) - 1)
    if total <= max_chars:
        return [(span.start, span.start_line, span.end, _PAGE_SEPARATOR.join(t for _, _, t in pages if t))]
    target = min(max_chars, math.ceil(total / math.ceil(total / max_chars)))
    units = _section_units(layout, span, pages)
    pieces: list[tuple[int, int, int, str]] = []
    group: list[tuple[int, int, str]] = []

    def flush() -> None:
        if group:
            text = _PAGE_SEPARATOR.join(t for _, _, t in group if t)
            pieces.append((group[0][0], group[0][1], group[-1][0], text))
            group.clear()

    for unit in units:
        unit_text = _PAGE_SEPARATOR.join(t for _, _, t in unit if t)
        size = sum(len(t) + len(_PAGE_SEPARATOR) for _, _, t in group)
        if len(unit_text) <= max_chars:
            if group and size + len(unit_text) > target:
                flush()
            group.extend(unit)
            continue
        for page, line, text in unit:
            if len(text) > max_chars:
                flush()
                pieces.extend((page, line, page, chunk) for chunk in split_text(text, max_chars))
                continue
            size = sum(len(t) + len(_PAGE_SEPARATOR) for _, _, t in group) + len(text)
            if group and size > target:
                flush()
            group.append((page, line, text))
    flush()
    return pieces


def _section_units(
    layout: PageLayout, span: _Span, pages: list[tuple[int, int, str]]
) -> list[list[tuple[int, int, str]]]:
    """The span's pages cut at its sections' headings: each unit is a list of ``(page, line, text)``."""
    end = (span.end, span.end_line if span.end_line is not None else 1 << 30)
    cuts = sorted(
        {(s.page, line) for s, line in span.sections if (span.start, span.start_line) < (s.page, line) < end}
    )
    units: list[list[tuple[int, int, str]]] = [[]]
    for page, first, text in pages:
        page_cuts = [line for p, line in cuts if p == page and line >= first]
        if not page_cuts:
            units[-1].append((page, first, text))
            continue
        page_lines = _page_lines(layout, page)
        last = span.end_line if page == span.end else None
        bounds = [first, *page_cuts]
        for position, line in enumerate(bounds):
            stop = bounds[position + 1] if position + 1 < len(bounds) else last
            if position > 0:
                units.append([])
            if stop is not None and stop <= line:
                continue
            units[-1].append((page, line, "\n".join(page_lines[line:stop])))
    return [unit for unit in units if unit]


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
