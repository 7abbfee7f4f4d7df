"""Generate the labelled chapter set: PDFs with known headings in every style detection must handle.

    python scripts/make_chapter_set.py --out DIR

Deterministic (fixed seeds, pypdf alone, like make_samples.py). Writes one PDF per style and
``truth.json``: for each file, the chapters a reader sees (first page and title) and the sections
(page, title, level). Styles: numbered sections starting mid-page, two columns, parts above chapters,
spelled-out chapter numbers, headings set only by font size (no numbers, no bold, sized through the
text matrix so PDFium's own font size reads 1.0), a printed contents page with and without an outline,
and printed page labels (roman front matter) that the contents page's numbers refer to.
"""

import argparse
import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_samples as samples

PAGE_W, PAGE_H = 612, 792
MARGIN = 72
BODY = 10.0
TOPIC_NAMES = list(samples.TOPICS)


@dataclass
class Heading:
    text: str
    size: float
    bold: bool
    role: str  # part | chapter | section
    level: int = 1  # sections: 1 = directly below the chapter
    new_page: bool = False
    outside_part: bool = False  # a chapter beside the parts at the outline's top level (a preface)


@dataclass
class Doc:
    name: str
    columns: int = 1
    header: str | None = None
    footer: bool = True
    scaled: bool = False  # sizes through the text matrix (1 Tf), as many producers write them
    contents: bool = False
    outline: bool = False
    roman_front: int = 0  # pages labelled i, ii, … before page 1
    title_page: bool = False
    blocks: list[Heading | tuple[str, int, int]] = field(default_factory=list)


class Layout:
    """Flows headings and paragraphs into pages and columns, remembering where each heading landed."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.pages: list[list[str]] = []
        self.placed: list[tuple[Heading, int]] = []  # heading, 1-based physical page
        self.width = (PAGE_W - 2 * MARGIN - 24 * (doc.columns - 1)) / doc.columns
        self.wrap = int(self.width / (BODY * 0.5))
        self._new_page()

    def _new_page(self) -> None:
        self.pages.append([])
        self.column = 0
        self.y = PAGE_H - MARGIN

    def _advance(self, height: float) -> None:
        if self.y - height < MARGIN + 20:
            if self.column + 1 < self.doc.columns:
                self.column += 1
                self.y = PAGE_H - MARGIN
            else:
                self._new_page()

    def _text(self, text: str, size: float, bold: bool) -> None:
        x = MARGIN + self.column * (self.width + 24)
        font = "/F2" if bold else "/F1"
        escaped = samples._escape(text)
        if self.doc.scaled:
            op = f"BT {font} 1 Tf {size} 0 0 {size} {x:.1f} {self.y:.1f} Tm ({escaped}) Tj ET"
        else:
            op = f"BT {font} {size} Tf {x:.1f} {self.y:.1f} Td ({escaped}) Tj ET"
        self.pages[-1].append(op)

    def heading(self, heading: Heading) -> None:
        if heading.new_page and any(self.pages[-1]):
            self._new_page()
        self._advance(heading.size * 3)
        self.y -= heading.size * 0.6 if self.y < PAGE_H - MARGIN else 0
        self.placed.append((heading, len(self.pages)))
        for line in textwrap.wrap(heading.text, int(self.width / (heading.size * 0.55))):
            self._text(line, heading.size, heading.bold)
            self.y -= heading.size * 1.25
        self.y -= heading.size * 0.5

    def paragraph(self, text: str) -> None:
        for line in textwrap.wrap(text, self.wrap):
            self._advance(BODY * 1.4)
            self._text(line, BODY, False)
            self.y -= BODY * 1.4
        self.y -= BODY * 0.8


def _font(base: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(base),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )


def render(doc: Doc, out: Path) -> dict[str, Any]:
    """Write ``doc`` and return its truth: chapters and sections by physical page."""
    body = Layout(doc)
    for block in doc.blocks:
        if isinstance(block, Heading):
            body.heading(block)
        else:
            topic, seed, count = block
            for paragraph in samples._paragraphs(TOPIC_NAMES[topic % len(TOPIC_NAMES)], seed, count):
                body.paragraph(paragraph)
    front: list[list[str]] = []
    title_ops = [f"BT /F2 24 Tf {MARGIN} {PAGE_H - 200} Td ({samples._escape(doc.name.title())}) Tj ET"]
    if doc.contents or doc.roman_front or doc.title_page:
        front.append(title_ops)
    front_count = len(front) + (1 if doc.contents else 0)
    offset = front_count  # physical page = printed page + offset (printed numbering starts after the front)
    if doc.contents:
        ops = [f"BT /F2 16 Tf {MARGIN} {PAGE_H - MARGIN} Td (Contents) Tj ET"]
        y = PAGE_H - MARGIN - 30
        for heading, page in body.placed:
            if heading.role == "section" and heading.level > 1:
                continue
            printed = page  # the body's own numbering starts at 1
            indent = MARGIN + (16 if heading.role == "section" else 0)
            dots = "." * max(3, 70 - len(heading.text))
            ops.append(
                f"BT /F1 {BODY} Tf {indent} {y} Td ({samples._escape(heading.text)} {dots} {printed}) Tj ET"
            )
            y -= 15
        front.append(ops)
    writer = PdfWriter()
    writer.add_metadata({"/Title": doc.name, "/Producer": "make_chapter_set.py"})
    regular = writer._add_object(_font("/Helvetica"))
    bold = writer._add_object(_font("/Helvetica-Bold"))
    all_pages = [*front, *body.pages]
    for number, ops in enumerate(all_pages, start=1):
        printed = number - offset
        extra = []
        if doc.header and number > offset:
            extra.append(f"BT /F1 8 Tf {MARGIN} {PAGE_H - 40} Td ({samples._escape(doc.header)}) Tj ET")
        if doc.footer and number > offset:
            extra.append(f"BT /F1 8 Tf {PAGE_W / 2 - 6} 36 Td ({printed}) Tj ET")
        page = writer.add_blank_page(PAGE_W, PAGE_H)
        stream = DecodedStreamObject()
        stream.set_data("\n".join([*extra, *ops]).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): regular, NameObject("/F2"): bold})}
        )
    if doc.roman_front:
        nums = ArrayObject(
            [
                NumberObject(0),
                DictionaryObject({NameObject("/S"): NameObject("/r")}),
                NumberObject(offset),
                DictionaryObject({NameObject("/S"): NameObject("/D")}),
            ]
        )
        writer._root_object[NameObject("/PageLabels")] = DictionaryObject({NameObject("/Nums"): nums})
    if doc.outline:
        parents: dict[str, Any] = {}
        for heading, page in body.placed:
            target = page - 1 + offset
            if heading.role == "part":
                parents["part"] = writer.add_outline_item(title=heading.text, page_number=target)
                parents.pop("chapter", None)
            elif heading.role == "chapter" and heading.outside_part:
                parents.pop("part", None)
                parents["chapter"] = writer.add_outline_item(title=heading.text, page_number=target)
            elif heading.role == "chapter":
                parents["chapter"] = writer.add_outline_item(
                    title=heading.text, page_number=target, parent=parents.get("part")
                )
            elif heading.level == 1:
                writer.add_outline_item(title=heading.text, page_number=target, parent=parents.get("chapter"))
    writer.write(out / f"{doc.name}.pdf")
    labels = {}
    if doc.roman_front:
        labels = {str(n): _roman(n) for n in range(1, offset + 1)}
    return {
        "chapters": [
            {"page": page + offset, "title": h.text} for h, page in body.placed if h.role == "chapter"
        ],
        "sections": [
            {"page": page + offset, "title": h.text, "level": h.level}
            for h, page in body.placed
            if h.role == "section"
        ],
        "parts": [{"page": page + offset, "title": h.text} for h, page in body.placed if h.role == "part"],
        "front_labels": labels,
    }


def _roman(number: int) -> str:
    return ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][number - 1]


def _chapter_blocks(
    titles: list[str],
    *,
    size: float,
    bold: bool,
    new_page: bool,
    sections: list[str] | None = None,
    section_size: float = 12.0,
    section_bold: bool = True,
    paragraphs: int = 4,
    seed: int = 0,
) -> list[Heading | tuple[str, int, int]]:
    blocks: list[Heading | tuple[str, int, int]] = []
    for number, title in enumerate(titles, start=1):
        blocks.append(Heading(title, size, bold, "chapter", new_page=new_page))
        blocks.append((number, seed + number, paragraphs))  # type: ignore[arg-type]
        for position, section in enumerate(sections or [], start=1):
            text = section.format(n=number, s=position)
            blocks.append(Heading(text, section_size, section_bold, "section", level=1))
            blocks.append((number + position, seed + 10 * number + position, paragraphs - 1))  # type: ignore[arg-type]
    return blocks


CHAPTER_WORDS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
SUBJECTS = ["Creators", "Storage", "Events", "Pipelines", "Signals", "Security", "Recovery", "Costs", "Scale"]


def documents() -> list[Doc]:
    numbered = ["1 Introduction", "2 Related Work", "3 Method", "4 Evaluation", "5 Conclusion"]
    paper_sections = ["{n}.{s} Design Choices", "{n}.{s} Measurements"]
    docs = [
        Doc(
            "midpage-numbered",
            blocks=_chapter_blocks(
                numbered, size=13, bold=True, new_page=False, sections=paper_sections, paragraphs=3
            ),
        ),
        Doc(
            "two-column",
            columns=2,
            header="Proceedings of the Workshop on Documents",
            blocks=_chapter_blocks(
                numbered, size=12, bold=True, new_page=False, sections=paper_sections, paragraphs=3, seed=7
            ),
        ),
        Doc(
            "spelled-out",
            header="A Field Book",
            blocks=_chapter_blocks(
                [f"Chapter {w}: {s}" for w, s in zip(CHAPTER_WORDS[:6], SUBJECTS, strict=False)],
                size=18,
                bold=True,
                new_page=True,
                sections=["Working with {n}", "Notes on practice {s}"],
                section_size=12.5,
                paragraphs=5,
                seed=3,
            ),
        ),
        Doc(
            "size-only",
            scaled=True,
            footer=False,
            blocks=_chapter_blocks(
                ["Storage Foundations", "Queues and Events", "Batch Pipelines", "Observability Today"],
                size=17,
                bold=False,
                new_page=False,
                sections=["Keys and Prefixes {n}", "Costs and Limits {n}"],
                section_size=13,
                section_bold=False,
                paragraphs=4,
                seed=11,
            ),
        ),
        Doc(
            "contents-no-outline",
            contents=True,
            blocks=_chapter_blocks(
                ["Getting Started", "Building Blocks", "Running in Production", "Keeping It Safe"],
                size=15,
                bold=True,
                new_page=True,
                sections=["First Steps {n}", "Common Mistakes {n}"],
                paragraphs=5,
                seed=21,
            ),
        ),
        Doc(
            "contents-with-outline",
            contents=True,
            outline=True,
            blocks=_chapter_blocks(
                ["Planning", "Building", "Testing", "Shipping"],
                size=15,
                bold=True,
                new_page=True,
                sections=["Checklist {n}", "Pitfalls {n}"],
                paragraphs=5,
                seed=31,
            ),
        ),
        Doc(
            "page-labels",
            contents=True,
            roman_front=1,
            blocks=_chapter_blocks(
                ["The Problem", "The Approach", "The Results", "The Outlook"],
                size=15,
                bold=True,
                new_page=True,
                sections=["Background {n}", "Details {n}"],
                paragraphs=5,
                seed=41,
            ),
        ),
    ]
    parts: list[Heading | tuple[str, int, int]] = []
    chapter = 0
    for part_number, part in enumerate(["Foundations", "Practice", "Outlook"], start=1):
        parts.append(
            Heading(f"Part {CHAPTER_WORDS[part_number - 1]}: {part}", 22, True, "part", new_page=True)
        )
        for _ in range(3):
            chapter += 1
            parts.append(
                Heading(f"Chapter {chapter} {SUBJECTS[chapter - 1]}", 17, True, "chapter", new_page=True)
            )
            parts.append((chapter, 50 + chapter, 7))
            parts.append(Heading(f"{chapter}.1 In Depth", 12.5, True, "section"))
            parts.append((chapter + 1, 60 + chapter, 6))
    header = "The Practice of Pipelines"
    docs.append(Doc("parts-chapters", header=header, title_page=True, blocks=parts))
    docs.append(Doc("parts-chapters-outline", header=header, title_page=True, outline=True, blocks=parts))
    docs.append(Doc("parts-front-back-outline", title_page=True, outline=True, blocks=_parts_beside_matter()))
    return docs


def _parts_beside_matter() -> list[Heading | tuple[str, int, int]]:
    """A book whose outline's top level holds its front and back matter beside the parts, parts titled
    without the word "Part", chapters numbered across them ("Chapter 1: Creators", "2: Storage"): what a
    real 352-page book with five parts looks like (issue 13)."""
    blocks: list[Heading | tuple[str, int, int]] = []
    for n, title in enumerate(["Preface", "Introduction"], start=1):
        blocks += [Heading(title, 17, True, "chapter", new_page=True, outside_part=True), (n, 90 + n, 5)]
    chapter = 0
    for part in ["PIRACY", "PROPERTY", "BALANCES"]:
        blocks.append(Heading(part, 22, True, "part", new_page=True))
        for _ in range(2 if part != "PROPERTY" else 3):
            chapter += 1
            title = (
                f"Chapter {chapter}: {SUBJECTS[chapter - 1]}"
                if chapter == 1
                else f"{chapter}: {SUBJECTS[chapter - 1]}"
            )
            blocks += [Heading(title, 17, True, "chapter", new_page=True), (chapter, 70 + chapter, 6)]
    blocks += [Heading("Afterword", 17, True, "chapter", new_page=True, outside_part=True), (3, 99, 4)]
    for n, section in enumerate(["Us, Now", "Them, Soon"], start=1):
        blocks += [Heading(section, 12.5, True, "section"), (n, 100 + n, 4)]
    blocks += [Heading("Conclusion", 17, True, "chapter", new_page=True, outside_part=True), (4, 98, 5)]
    return blocks


def generate(out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    truth = {f"{doc.name}.pdf": render(doc, out) for doc in documents()}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for name, facts in generate(args.out).items():
        print(f"{name}: {len(facts['chapters'])} chapters, {len(facts['sections'])} sections")


if __name__ == "__main__":
    main()
