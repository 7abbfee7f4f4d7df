"""The heading matcher, page layout rules and detection invariants, including property tests."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enhancer.models.extraction import OutlineEntry
from enhancer.pdf.chapters import detect_chapters, match_heading_line, split_text
from enhancer.pdf.layout import analyse_pages


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Chapter 3: Data Pipelines", "Chapter 3: Data Pipelines"),
        ("CHAPTER IV The Cluster", "CHAPTER IV The Cluster"),
        ("2. Related Work", "2. Related Work"),
        ("1 Introduction", "1 Introduction"),
        ("Appendix A Glossary", "Appendix A Glossary"),
        ("Kapitel 2 Mannigfaltigkeiten", "Kapitel 2 Mannigfaltigkeiten"),
        ("3 million requests were served.", None),
        ("The chapter explains queues", None),
        ("42", None),
    ],
)
def test_heading_matcher(patterns, line: str, expected: str | None) -> None:
    assert match_heading_line(line, patterns) == expected


def _page(top: str, body_seed: int) -> str:
    body = " ".join(f"word{body_seed}{i} explains the topic in detail." for i in range(30))
    return f"{top}\n{body}"


def test_running_headers_and_page_numbers_are_removed_from_body(patterns) -> None:
    pages = [f"Field Guide\n{_page(f'Topic {n}', n)}\n{n}" for n in range(1, 6)]

    layout = analyse_pages(pages, patterns)

    assert all("Field Guide" not in body for body in layout.body)
    assert all(not body.splitlines()[-1].strip().isdigit() for body in layout.body)


def test_a_repeated_chapter_header_opens_the_chapter_once(patterns, profile) -> None:
    # Given "Chapter 2 Storage" atop all three pages of chapter 2, like a running header.
    pages = [_page("Chapter 1 Basics", 1), _page("Chapter 1 Basics", 2)]
    pages += [_page("Chapter 2 Storage", n) for n in range(3, 6)]

    chapters = detect_chapters(analyse_pages(pages, patterns), [], patterns, profile)

    assert [(c.title, c.start_page, c.end_page) for c in chapters] == [
        ("Chapter 1 Basics", 1, 2),
        ("Chapter 2 Storage", 3, 5),
    ]


def test_contents_pages_are_recognised_by_marker_and_by_dotted_leaders(patterns) -> None:
    leaders = "\n".join(f"Section {n} ........ {n * 4}" for n in range(1, 8))
    pages = ["Table of Contents\nIntro 1", leaders, _page("Chapter 1 Basics", 1)]

    layout = analyse_pages(pages, patterns)

    assert layout.toc_pages == {1, 2}


def test_outline_entries_with_empty_or_unresolvable_destinations(patterns, profile) -> None:
    pages = [_page("Preface", 1), _page("Getting Started", 2), _page("Deep Dive", 3)]
    outline = [
        OutlineEntry(title="", page=2, level=0),
        OutlineEntry(title="Broken link", page=None, level=0),
        OutlineEntry(title="Deep Dive", page=3, level=0),
        OutlineEntry(title="Off the end", page=99, level=0),
    ]

    chapters = detect_chapters(analyse_pages(pages, patterns), outline, patterns, profile)

    assert [(c.title, c.start_page, c.end_page) for c in chapters] == [
        ("Front matter", 1, 1),
        ("Getting Started", 2, 2),  # the empty title falls back to the page's first heading line
        ("Deep Dive", 3, 3),
    ]


def test_a_single_top_level_entry_descends_to_its_children(patterns, profile) -> None:
    pages = [_page("Book", 1), _page("One", 2), _page("Two", 3)]
    outline = [
        OutlineEntry(title="The Book", page=1, level=0),
        OutlineEntry(title="Part One", page=2, level=1),
        OutlineEntry(title="Part Two", page=3, level=1),
    ]

    chapters = detect_chapters(analyse_pages(pages, patterns), outline, patterns, profile)

    assert [c.title for c in chapters] == ["Front matter", "Part One", "Part Two"]


def test_split_text_respects_the_limit_and_keeps_every_word() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "Streams carry events. " * 20 for n in range(10))
    chunks = split_text(text, 300)
    assert all(len(c) <= 300 for c in chunks)
    assert sum(c.count("Streams") for c in chunks) == text.count("Streams")


_LINES = st.sampled_from(
    [
        "Chapter 1 Introduction",
        "Chapter 2 Storage",
        "Chapter 3 Events",
        "2. Related Work",
        "Contents",
        "Running Header",
        "17",
        "Section 4 ........ 12",
        "",
        "Queues decouple producers from consumers and absorb bursts of traffic.",
        "Idempotent handlers make redelivery safe for every message in the batch.",
    ]
)
_PAGE = st.lists(_LINES, min_size=0, max_size=8).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(
    pages=st.lists(_PAGE, min_size=1, max_size=25),
    outline_pages=st.lists(st.integers(min_value=-1, max_value=30), max_size=6),
    window=st.integers(min_value=1, max_value=12),
    min_chars=st.integers(min_value=0, max_value=2000),
    max_chars=st.integers(min_value=50, max_value=5000),
)
def test_chapters_always_tile_the_document(
    patterns, profile, pages, outline_pages, window, min_chars, max_chars
) -> None:
    outline = [
        OutlineEntry(title=f"Entry {n}", page=p if p > 0 else None, level=n % 2)
        for n, p in enumerate(outline_pages)
    ]
    custom = profile.model_copy(
        update={
            "fallback_pages_per_chapter": window,
            "min_chapter_chars": min_chars,
            "max_chapter_chars": max_chars,
        }
    )

    chapters = detect_chapters(analyse_pages(pages, patterns), outline, patterns, custom)

    assert [c.index for c in chapters] == list(range(len(chapters)))
    assert chapters[0].start_page == 1
    assert chapters[-1].end_page == len(pages)
    for before, after in itertools.pairwise(chapters):
        shares_page = after.part is not None and after.part > 1 and after.start_page == before.end_page
        assert after.start_page == before.end_page + 1 or shares_page
    assert all(c.start_page <= c.end_page for c in chapters)
    assert all(c.char_count == len(c.text) <= max_chars for c in chapters)
