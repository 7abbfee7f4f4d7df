"""Headings from typography, anywhere on the page, and the part/chapter/section levels they imply.

A line is a heading candidate when it is short, holds letters, and stands out from the body: set at
least ``_BIG`` times the body size, or bold where the body is not. Numbering ("1", "1.2", "A.", roman
numerals) and the heading patterns ("Chapter", "Part", "Appendix", …, spelled-out numbers included)
give depth and kind. Consecutive candidate lines of one style are one wrapped heading; a bare
"Chapter 3" takes the line after it as its title. Text repeated on several pages is a running line, not a
heading. Levels rank the styles by size, then weight, then numbering depth; a part pattern ranks above
the chapters of its style.
"""

import re
from collections import Counter
from dataclasses import dataclass

from enhancer.config import ChapterPatternsConfig
from enhancer.pdf.layout import PageLayout
from enhancer.pdf.typography import StyledLine

_BIG = 1.12  # a heading set by size alone is at least this much larger than the body
_SMALL = 0.95  # smaller than this is never a heading (captions, footnotes)
_MAX_WORDS = 16
_MAX_BOLD_CHARS = 90  # a bold line at body size longer than this is emphasis, not a heading
_MAX_WRAPPED_LINES = 3
_WRAP_LEADING = 1.6  # a wrapped heading line follows within this many times the line's size
_RUNNING_PAGES = 3
_NUMBERED = re.compile(r"^(?P<number>\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(?P<title>\S.*)$")
_LETTERED = re.compile(r"^(?P<number>[A-Z]|[IVXLC]{1,6})[.)]\s+(?P<title>\S.*)$")
_DOT_LEADER = re.compile(r"(?:\s*\.\s?){3,}\s*\S*$|\u2026+\s*\S*$")
_BULLETS = ("\u2022", "\u25cf", "\u25aa", "\u25a0", "\u2023", "\u2043", "\u2013 ", "- ", "* ")
_SENTENCE_BREAK = re.compile(r"[a-z]{2}[.!?] [A-Z]")
_MAX_SENTENCE_WORDS = 10
_KIND_RANK = {"part": 0, "chapter": 1, "appendix": 1, None: 1, "section": 2}


@dataclass
class Heading:
    page: int  # 1-based
    line: int  # index into ``layout.lines[page - 1]``
    title: str
    size: float
    bold: bool
    kind: str | None  # part | chapter | appendix | section (from the patterns), None when unknown
    depth: int  # numbering depth: "3" is 1, "3.2" is 2; 0 unnumbered
    level: int = 0  # 0 = the most prominent style in the document


def numbering(title: str) -> int:
    """Depth of a heading's leading number: ``3.2 Trace trees`` is 2, ``A. Data`` 1, unnumbered 0."""
    if match := _NUMBERED.match(title):
        return match["number"].count(".") + 1
    return 1 if _LETTERED.match(title) else 0


def heading_kind(title: str, compiled: list[tuple[str, re.Pattern[str]]]) -> tuple[str | None, bool]:
    """The kind of the first matching heading pattern, and whether the line is that word and number alone."""
    for kind, pattern in compiled:
        if match := pattern.match(title):
            return kind, not (match.groupdict().get("title") or "").strip()
    return None, False


def compile_kinds(patterns: ChapterPatternsConfig) -> list[tuple[str, re.Pattern[str]]]:
    # The generic "1 Title" pattern says nothing about kind; numbering() reads its depth.
    return [(p.kind, p.compiled()) for p in patterns.heading_patterns if p.name != "numbered_section"]


def typographic_headings(layout: PageLayout, patterns: ChapterPatternsConfig) -> list[Heading]:
    """Every heading the typography shows, in reading order, with levels assigned."""
    if not layout.has_styles or layout.body_size <= 0:
        return []
    compiled = compile_kinds(patterns)
    body_bold = layout.bold_share >= 0.4
    found: list[Heading] = []
    for page, (lines, styles) in enumerate(zip(layout.lines, layout.styles, strict=True), start=1):
        if page in layout.toc_pages:
            continue
        position = 0
        while position < len(lines):
            style = styles[position]
            if style is None or not _stands_out(lines[position], style, layout.body_size, body_bold):
                position += 1
                continue
            title, used = _wrapped(lines, styles, position, patterns.max_heading_chars, compiled)
            title = clean_title(title)
            if _is_heading_text(title):
                kind, _ = heading_kind(title, compiled)
                found.append(Heading(page, position, title, style.size, style.bold, kind, numbering(title)))
            position += used
    found = _without_running(found, layout)
    _assign_levels(found, layout.body_size)
    return found


def _is_heading_text(title: str) -> bool:
    """Letters, and not prose: a long wrapped line with a sentence break inside is a paragraph."""
    if sum(map(str.isalpha, title)) < 2:
        return False
    return not (len(title.split()) > _MAX_SENTENCE_WORDS and _SENTENCE_BREAK.search(title))


def _stands_out(text: str, style: StyledLine, body_size: float, body_bold: bool) -> bool:
    ratio = style.size / body_size
    if ratio < _SMALL or (ratio < _BIG and not (style.bold and not body_bold)):
        return False  # the style alone rules it out: most lines, so asked first
    if not 2 <= len(text) <= 160 or len(text.split()) > _MAX_WORDS or text.endswith((",", ";")):
        return False
    if text.startswith(_BULLETS):
        return False  # a list item, however it is set
    if ratio >= _BIG:
        return not (text.endswith(".") and len(text.split()) > 10)
    return style.bold and not body_bold and len(text) <= _MAX_BOLD_CHARS and not text.endswith(".")


def _wrapped(
    lines: list[str],
    styles: list[StyledLine | None],
    position: int,
    max_chars: int,
    compiled: list[tuple[str, re.Pattern[str]]],
) -> tuple[str, int]:
    """The heading starting at ``position`` with its wrapped continuation lines; lines used."""
    first = styles[position]
    assert first is not None
    parts = [lines[position]]
    _, bare = heading_kind(lines[position], compiled)
    following = position + 1
    if bare and following < len(lines):
        # "CHAPTER ONE" over its title: the title is the next line, whatever its style.
        return f"{lines[position]}: {lines[following]}", 2
    while following < len(lines) and len(parts) < _MAX_WRAPPED_LINES:
        style = styles[following]
        if style is None or style.bold != first.bold or abs(style.size - first.size) > 0.03 * first.size:
            break
        previous = styles[following - 1]
        if previous is None or not 0 < style.top - previous.top <= _WRAP_LEADING * first.size:
            break  # a gap (or a jump to another column): the next heading, not a wrapped line
        if numbering(lines[following]) or heading_kind(lines[following], compiled)[0]:
            break  # a heading of its own
        if len(" ".join([*parts, lines[following]])) > max_chars:
            break
        parts.append(lines[following])
        following += 1
    return " ".join(parts), following - position


def clean_title(title: str) -> str:
    """No dot leaders, trailing page numbers after them, or stray separators around a title."""
    title = _DOT_LEADER.sub("", title)
    title = " ".join(title.split())
    return title.strip(" -\u2013\u2014:|.")


def _without_running(found: list[Heading], layout: PageLayout) -> list[Heading]:
    """Drop edge lines (first or last two of a page) repeated on several pages: running lines that
    escaped the layout's own filter. A repeated title mid-page ("Summary" in every chapter) stays."""

    def edge(heading: Heading) -> bool:
        return heading.line < 2 or heading.line >= len(layout.lines[heading.page - 1]) - 2

    pages: dict[str, set[int]] = {}
    for heading in found:
        if edge(heading):
            pages.setdefault(heading.title.lower(), set()).add(heading.page)
    return [h for h in found if not edge(h) or len(pages[h.title.lower()]) < _RUNNING_PAGES]


def _assign_levels(found: list[Heading], body_size: float) -> None:
    """Level 0 is the largest style; then bold before regular, part before chapter, shallow before deep."""

    def rank(heading: Heading) -> tuple[float, int, int, int]:
        bucket = round(heading.size / body_size / 0.04)
        return (-bucket, 0 if heading.bold else 1, _KIND_RANK.get(heading.kind, 1), max(heading.depth, 1))

    ranks = sorted({rank(h) for h in found})
    for heading in found:
        heading.level = ranks.index(rank(heading))


@dataclass(frozen=True)
class Levels:
    """Which heading levels are parts and chapters; everything deeper is a section."""

    part: int | None
    chapter: int


def choose_levels(found: list[Heading], page_count: int) -> Levels | None:
    """The chapter level of a document: explicit "Chapter" headings where there are two or more; else
    the most prominent level with two headings or more (a lone title above them is no chapter), one
    level down when that level is a handful of parts that each hold several chapters in a long
    document. None when no level has two headings."""
    pages: dict[int, set[int]] = {}
    for heading in found:
        pages.setdefault(heading.level, set()).add(heading.page)
    # A level whose headings all sit on one page is a title block or a figure, not a run of chapters.
    counts = Counter(
        {level: sum(1 for h in found if h.level == level) for level in pages if len(pages[level]) >= 2}
    )
    if not counts:
        return None
    chapters = Counter(h.level for h in found if h.kind == "chapter")
    parts = Counter(h.level for h in found if h.kind == "part")
    if sum(chapters.values()) >= 2:
        chapter = chapters.most_common(1)[0][0]
        part = min(parts) if parts and min(parts) < chapter else None
        return Levels(part=part, chapter=chapter)
    levels = sorted(counts)
    candidates = levels
    if not candidates:
        return None
    top = candidates[0]
    if parts and min(parts) <= top:
        below = [level for level in candidates if level > min(parts)]
        if below:
            return Levels(part=min(parts), chapter=below[0])
    deeper = [level for level in levels if level > top]
    if deeper and counts[top] <= 8 and page_count >= 20 and _each_holds(found, top, deeper[0]):
        return Levels(part=top, chapter=deeper[0])
    return Levels(part=None, chapter=top)


def _each_holds(found: list[Heading], upper: int, lower: int) -> bool:
    """Whether every ``upper`` heading is followed by at least two ``lower`` ones before the next."""
    held: list[int] = []
    for heading in found:
        if heading.level == upper:
            held.append(0)
        elif heading.level == lower and held:
            held[-1] += 1
    return bool(held) and all(count >= 2 for count in held)
