"""Chapters a reader recognises: typography anywhere on the page, parts above chapters, contents pages,
page labels, titles without page numbers, long chapters split at their sections."""

import importlib.util
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT

from enhancer.models import DetectedBy
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf.headings import clean_title, numbering
from enhancer.pipeline.validation import tiling_problem

_PART = re.compile(r" \(part \d+ of \d+\)$")


@pytest.fixture(scope="module")
def chapter_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(
        "make_chapter_set", REPO_ROOT / "scripts" / "make_chapter_set.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("chapter-set")
    return out, module.generate(out)


def _norm(title: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", title.lower()).split())


def _starts(result: ExtractionResult) -> list[tuple[int, str]]:
    """Chapter starts as a reader counts them: no front matter, a split chapter once (its first part)."""
    starts = []
    for chapter in result.chapters:
        if chapter.title == "Front matter" or (chapter.part or 1) > 1:
            continue
        starts.append((chapter.start_page, _norm(_PART.sub("", chapter.title))))
    return starts


def _sections(result: ExtractionResult) -> set[tuple[int, str, int]]:
    return {(s.page, _norm(s.title), s.level) for c in result.chapters for s in c.sections}


STYLES = [
    "midpage-numbered",
    "two-column",
    "spelled-out",
    "size-only",
    "contents-no-outline",
    "contents-with-outline",
    "page-labels",
    "parts-chapters",
    "parts-front-back-outline",
    "parts-chapters-outline",
]


@pytest.mark.parametrize("style", STYLES)
def test_every_labelled_style_gets_its_chapters_and_sections(extract, chapter_set, style: str) -> None:
    out, truth = chapter_set
    facts = truth[f"{style}.pdf"]

    result = extract(out / f"{style}.pdf", engine="pdfium")

    want = [(c["page"], _norm(c["title"])) for c in facts["chapters"]]
    got = _starts(result)
    if got and want and got[0][1] == want[0][1] and got[0][0] == 1:
        got[0] = want[0]  # tiny front matter merges into the first chapter, which then opens on page 1
    assert got == want
    assert _sections(result) >= {(s["page"], _norm(s["title"]), s["level"]) for s in facts["sections"]}
    assert tiling_problem([c.span().model_dump() for c in result.chapters], result.pdf.page_count) is None


def test_headings_mid_page_open_chapters_there(extract, chapter_set) -> None:
    out, _ = chapter_set
    result = extract(out / "midpage-numbered.pdf", engine="pdfium")

    related = next(c for c in result.chapters if c.title == "2 Related Work")
    before = result.chapters[related.index - 1]
    assert related.detected_by == DetectedBy.TYPOGRAPHY
    assert related.starts_mid_page
    assert before.end_page == related.start_page  # the page is shared at the heading
    assert related.text.startswith("2 Related Work")
    assert "2 Related Work" not in before.text


def test_parts_hold_their_chapters(extract, chapter_set) -> None:
    out, _ = chapter_set
    for name in ("parts-chapters.pdf", "parts-chapters-outline.pdf"):
        result = extract(out / name, engine="pdfium")
        parts = [c.part_title for c in result.chapters if c.title.startswith("Chapter")]
        assert (
            parts == ["Part One: Foundations"] * 3 + ["Part Two: Practice"] * 3 + ["Part Three: Outlook"] * 3
        )


def test_parts_beside_front_and_back_matter_hold_the_chapters_numbered_across_them(
    extract, chapter_set
) -> None:
    # A book's outline with its preface and afterword beside the parts at the top level (Free Culture's
    # shape): before, the parts were the chapters, cut into "PIRACY (part 1 of 4)" slices.
    out, truth = chapter_set
    result = extract(out / "parts-front-back-outline.pdf", engine="pdfium")

    expected = [(c["page"], _norm(c["title"])) for c in truth["parts-front-back-outline.pdf"]["chapters"]]
    # (the title page before the preface joins it: the first chapter opens on page 1)
    assert _starts(result) == [(1, expected[0][1]), *expected[1:]]
    by_title = {c.title: c for c in result.chapters}
    assert [
        by_title[t].part_title for t in ("Preface", "Chapter 1: Creators", "3: Events", "7: Recovery")
    ] == [
        None,
        "PIRACY",
        "PROPERTY",
        "BALANCES",
    ]
    assert by_title["Conclusion"].part_title is None
    assert [s.title for s in by_title["Afterword"].sections] == ["Us, Now", "Them, Soon"]


def test_contents_pages_map_printed_numbers_through_page_labels(extract, chapter_set) -> None:
    out, _ = chapter_set
    result = extract(out / "page-labels.pdf", engine="pdfium")

    assert {c.detected_by for c in result.chapters} == {DetectedBy.CONTENTS}
    first = next(c for c in result.chapters if c.title == "The Problem")
    assert (first.start_page, first.start_label) == (3, "1")
    assert result.chapters[0].start_label == "i"
    assert all(s.page_label == str(s.page - 2) for c in result.chapters for s in c.sections)


def test_without_typography_the_contents_and_patterns_still_work(extract, chapter_set) -> None:
    # The pypdf engine gives no positions or fonts: contents pages and top-of-page patterns remain.
    out, truth = chapter_set
    result = extract(out / "contents-no-outline.pdf", engine="pypdf")
    titles = [c.title for c in result.chapters if c.detected_by == DetectedBy.CONTENTS]
    for chapter in truth["contents-no-outline.pdf"]["chapters"]:
        assert chapter["title"] in titles


def test_long_chapters_split_at_their_own_sections(extract, chapter_set, profile) -> None:
    out, _ = chapter_set
    small = profile.model_copy(update={"max_chapter_chars": 4000, "min_chapter_chars": 100})
    result = extract(out / "spelled-out.pdf", profile=small, engine="pdfium")

    first = [c for c in result.chapters if c.title.startswith("Chapter One: Creators")]
    assert [c.title for c in first] == [
        f"Chapter One: Creators (part {n} of {len(first)})" for n in range(1, len(first) + 1)
    ]
    sections = {(s.page, s.title) for c in first for s in c.sections}
    # Each part after the first opens at a section heading.
    for part in first[1:]:
        assert part.text.split("\n")[0] in {title for _, title in sections}
    assert tiling_problem([c.span().model_dump() for c in result.chapters], result.pdf.page_count) is None


def test_chapters_mid_page_tile_only_when_marked() -> None:
    chapters = [
        {"index": 0, "title": "A", "start_page": 1, "end_page": 2},
        {"index": 1, "title": "B", "start_page": 2, "end_page": 3, "starts_mid_page": True},
    ]
    assert tiling_problem(chapters, 3) is None
    chapters[1]["starts_mid_page"] = False
    assert "overlaps" in (tiling_problem(chapters, 3) or "")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("3.2 Trace Trees ........ 41", "3.2 Trace Trees"),
        ("Introduction \u2026\u2026 7", "Introduction"),
        ("  Part One: Foundations  ", "Part One: Foundations"),
    ],
)
def test_titles_lose_dot_leaders_and_their_page_numbers(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


def test_a_running_page_number_is_not_part_of_a_title(extract, profile) -> None:
    from pdf_builders import raw_pdf, text_page

    # Heading lines that carry their printed page number (two pages of front matter before page 1).
    body = "Separation of duties keeps one person from holding every key to a system."
    pages = [text_page("Preface", body) for _ in range(3)]
    pages.insert(3, text_page("Chapter 1. Roles and separation of duties 2", body, body))
    pages.insert(5, text_page("Chapter 2. Auditing the changes made 4", body, body))
    keep_all = profile.model_copy(update={"min_chapter_chars": 0})

    result = extract(raw_pdf(pages), profile=keep_all, engine="pdfium")

    assert [c.title for c in result.chapters][1:] == [
        "Chapter 1. Roles and separation of duties",
        "Chapter 2. Auditing the changes made",
    ]


def test_numbering_depth() -> None:
    assert [numbering(t) for t in ("3 Method", "3.2 Trace trees", "A. Data", "Method")] == [1, 2, 1, 0]


def test_engines_keep_the_tiling_on_every_labelled_style(extract, chapter_set) -> None:
    out, _ = chapter_set
    for pdf in sorted(out.glob("*.pdf")):
        for engine in ("pdfium", "pypdf"):
            result = extract(pdf, engine=engine)
            assert [c.index for c in result.chapters] == list(range(len(result.chapters)))
            for before, after in itertools.pairwise(result.chapters):
                assert after.start_page in (before.end_page, before.end_page + 1)
            assert (
                tiling_problem([c.span().model_dump() for c in result.chapters], result.pdf.page_count)
                is None
            )


def test_typography_picks_headings_by_size_and_weight_not_bullets_or_prose(patterns) -> None:
    from enhancer.pdf.headings import typographic_headings
    from enhancer.pdf.layout import analyse_pages
    from enhancer.pdf.typography import StyledLine

    body = "Queues absorb bursts of traffic so that consumers work at a steady rate for hours."
    lines = [
        ("Storage Foundations", 17.0, False),  # larger, regular: a heading by size alone
        (body, 10.0, False),
        ("\u25cf A large bullet point", 18.0, False),  # a list item, however large
        (body, 10.0, False),
        ("Keys and prefixes", 10.0, True),  # bold at body size: a heading where the body is regular
        (body, 10.0, False),
        ("Poppins This is a sample text. A modern sans-serif font used as default", 14.0, False),
        (body, 10.0, False),
    ]
    styles = [
        StyledLine(t, len(t), size, bold, 72.0 + 30 * i, 0.1) for i, (t, size, bold) in enumerate(lines)
    ]
    text = "\n".join(t for t, _, _ in lines)
    layout = analyse_pages([text, text], patterns, styles=[styles, styles])

    found = typographic_headings(layout, patterns)

    assert layout.body_size == 10.0
    assert [(h.page, h.title, h.level) for h in found] == [
        (1, "Storage Foundations", 0),
        (1, "Keys and prefixes", 1),
        (2, "Storage Foundations", 0),
        (2, "Keys and prefixes", 1),
    ]
