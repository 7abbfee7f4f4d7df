"""A printed contents page as real books have it: over several pages with the "Contents" marker on the
first only, and printed page numbers whose offset to the physical page drifts (a plate the PDF adds)."""

from enhancer.config import ChapterPatternsConfig
from enhancer.pdf.contents import contents_entries
from enhancer.pdf.layout import analyse_pages

_FILLER = "Plain running text of the chapter that goes on for a while. " * 12


def _book() -> list[str]:
    pages = ["A Book\nBy Someone"]  # 1: title
    pages.append("Contents\nIntroduction 1\nChapter One: Creators 3\nChapter Two: Copyists 5")  # 2
    pages.append("Chapter Three: Catalogs 7\nChapter Four: Pirates 9\nConclusion 11")  # 3: no marker
    body = {
        "Introduction": 4,  # printed 1, physical 4: offset 3
        "Chapter One: Creators": 6,
        "Chapter Two: Copyists": 8,
        "Chapter Three: Catalogs": 11,  # a plate before it: offset 4 from here on
        "Chapter Four: Pirates": 13,
        "Conclusion": 15,
    }
    for physical in range(4, 17):
        title = next((t for t, p in body.items() if p == physical), None)
        if physical == 10:
            pages.append("Plate 1: a photograph")
        else:
            pages.append(f"{title}\n{_FILLER}" if title else _FILLER)
    return pages


def test_contents_over_two_pages_with_a_drifting_offset_map_every_entry_to_its_heading(
    patterns: ChapterPatternsConfig,
) -> None:
    layout = analyse_pages(_book(), patterns)

    entries = contents_entries(layout, patterns)

    # Before: the second contents page was not read (no marker), and one offset for the whole book put the
    # chapters after the plate a page early.
    assert [(e.title, e.page) for e in entries] == [
        ("Introduction", 4),
        ("Chapter One: Creators", 6),
        ("Chapter Two: Copyists", 8),
        ("Chapter Three: Catalogs", 11),
        ("Chapter Four: Pirates", 13),
        ("Conclusion", 15),
    ]
