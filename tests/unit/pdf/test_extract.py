"""extract_pdf on the generated samples and on PDFs built in the test: every path, both engines."""

import itertools
from pathlib import Path

import pytest
from pdf_builders import encrypted_copy, raw_pdf, text_page
from pypdf import PdfReader

from enhancer.errors import PermanentError
from enhancer.models import DetectedBy, ErrorCode
from enhancer.models.extraction import ExtractionResult
from enhancer.pdf.extract import engine_order

ENGINES = ["pdfium", "pypdf"]


def spans(result: ExtractionResult) -> list[tuple[str, int, int, str]]:
    return [(c.title, c.start_page, c.end_page, c.detected_by.value) for c in result.chapters]


def assert_tiles(result: ExtractionResult) -> None:
    chapters = result.chapters
    assert [c.index for c in chapters] == list(range(len(chapters)))
    assert chapters[0].start_page == 1
    assert chapters[-1].end_page == result.pdf.page_count
    for before, after in itertools.pairwise(chapters):
        assert after.start_page == before.end_page + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_book_chapters_come_from_the_outline_with_sections(extract, samples_dir: Path, engine: str) -> None:
    result = extract(samples_dir / "cloud-data-handbook.pdf", engine=engine)

    assert result.engine == engine
    assert result.pdf.has_outline
    assert result.pdf.page_count == 26
    assert result.pdf.title == "Cloud Data Engineering Handbook"
    assert result.pdf.author == "A. Rivera"
    # The title page (front matter) is tiny and merges into chapter 1.
    assert spans(result) == [
        ("1 Cloud Storage Foundations", 1, 6, "outline"),
        ("2 Event-Driven Architectures", 7, 11, "outline"),
        ("3 Data Pipelines", 12, 16, "outline"),
        ("4 Observability in Practice", 17, 21, "outline"),
        ("5 Security by Design", 22, 26, "outline"),
    ]
    assert [s.title for s in result.chapters[1].sections] == [
        "2.1 Queues and retries",
        "2.2 Fan-out and fan-in",
    ]
    assert [s.page for s in result.chapters[1].sections] == [8, 10]
    assert "idempotent" in result.chapters[1].text
    assert all(c.char_count == len(c.text) for c in result.chapters)
    assert_tiles(result)


@pytest.mark.parametrize("engine", ENGINES)
def test_paper_sections_come_from_numbered_heading_patterns(extract, samples_dir: Path, engine: str) -> None:
    result = extract(samples_dir / "research-paper.pdf", engine=engine)

    assert not result.pdf.has_outline
    assert spans(result) == [
        ("Front matter", 1, 1, "pattern"),
        ("1 Introduction", 2, 2, "pattern"),
        ("2. Related Work", 3, 3, "pattern"),
        ("3 Method", 4, 4, "pattern"),
        ("4 Evaluation", 5, 6, "pattern"),
        ("5 Conclusion", 7, 7, "pattern"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_report_without_headings_falls_back_to_page_windows(extract, samples_dir: Path, engine: str) -> None:
    result = extract(samples_dir / "annual-report.pdf", engine=engine)

    assert spans(result) == [("Pages 1\u201310", 1, 10, "fallback"), ("Pages 11\u201312", 11, 12, "fallback")]


@pytest.mark.parametrize("engine", ENGINES)
def test_guide_skips_contents_page_running_lines_and_page_numbers(
    extract, samples_dir: Path, engine: str
) -> None:
    result = extract(samples_dir / "kubernetes-field-guide.pdf", engine=engine)

    # The contents page lists "Chapter 1 ... 3" but opens no chapter; title + contents merge into chapter 1.
    assert spans(result) == [
        ("Chapter 1 Deployments and Rollouts", 1, 5, "pattern"),
        ("Chapter 2 Event Queues on Kubernetes", 6, 8, "pattern"),
        ("Chapter 3 Monitoring the Cluster", 9, 11, "pattern"),
        ("Chapter 4 Securing Workloads", 12, 14, "pattern"),
    ]
    later = result.chapters[2].text
    assert "Kubernetes Field Guide" not in later  # running header removed
    assert not any(line.strip().isdigit() for line in later.splitlines())  # page-number footers removed


def test_engines_agree_on_every_sample(extract, samples_dir: Path) -> None:
    for pdf in sorted(samples_dir.glob("*.pdf")):
        if pdf.name in ("truncated.pdf", "scanned-memo.pdf"):  # broken; no text layer (tests/unit/ocr)
            continue
        fast, slow = extract(pdf, engine="pdfium"), extract(pdf, engine="pypdf")
        assert spans(fast) == spans(slow), pdf.name
        assert abs(fast.pdf.text_chars - slow.pdf.text_chars) <= 0.01 * slow.pdf.text_chars


def test_auto_uses_pdfium_when_pypdfium2_is_installed(extract, samples_dir: Path) -> None:
    pytest.importorskip("pypdfium2")
    assert engine_order("auto") == ["pdfium", "pypdf"]
    assert extract(samples_dir / "research-paper.pdf").engine == "pdfium"
    assert extract(samples_dir / "research-paper.pdf", engine="auto").engine == "pdfium"


def test_without_pypdfium2_every_engine_setting_uses_pypdf(
    extract, samples_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import enhancer.pdf.extract as extract_module

    monkeypatch.setattr(extract_module, "load_pdfium", lambda: None)
    assert engine_order("pdfium") == ["pypdf"]
    assert extract(samples_dir / "research-paper.pdf", engine="pdfium").engine == "pypdf"


def test_a_file_only_pdfium_can_read_is_read_by_pdfium(extract, samples_dir: Path) -> None:
    # Given the paper without its cross-reference table and trailer: pypdf gives up, PDFium repairs it.
    data = (samples_dir / "research-paper.pdf").read_bytes()
    damaged = data[: data.rindex(b"xref")]
    with pytest.raises(Exception, match="ended unexpectedly"):
        len(PdfReader(__import__("io").BytesIO(damaged)).pages)

    result = extract(damaged, engine="pypdf")

    assert result.engine == "pdfium"
    assert result.pdf.page_count == 7
    assert [c.title for c in result.chapters][1] == "1 Introduction"


def test_a_file_only_pypdf_can_read_is_read_by_pypdf(extract, samples_dir: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    # Given a trailer whose /Root key is misspelt: pypdf finds the catalog, PDFium refuses the file.
    damaged = (samples_dir / "research-paper.pdf").read_bytes().replace(b"/Root", b"/Rooq")
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(damaged)

    result = extract(damaged, engine="auto")

    assert result.engine == "pypdf"
    assert len(result.chapters) == 6


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", ErrorCode.EMPTY_FILE),
        (b"PK\x03\x04 this is a zip file, not a PDF", ErrorCode.NOT_A_PDF),
        (b"%PDF-1.7\n" + b"garbage " * 200, ErrorCode.CORRUPT_PDF),
        (raw_pdf([b"", b"", b""]), ErrorCode.NO_TEXT),
    ],
    ids=["empty", "zip", "garbage", "blank-pages"],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_bad_input_gets_its_error_code(extract, data: bytes, code: ErrorCode, engine: str) -> None:
    with pytest.raises(PermanentError) as caught:
        extract(data, engine=engine)
    assert caught.value.code == code
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_sample_is_corrupt(extract, samples_dir: Path, engine: str) -> None:
    with pytest.raises(PermanentError) as caught:
        extract(samples_dir / "truncated.pdf", engine=engine)
    assert caught.value.code == ErrorCode.CORRUPT_PDF


def test_limits_give_too_large_and_too_many_pages(extract, samples_dir: Path) -> None:
    book = samples_dir / "cloud-data-handbook.pdf"
    with pytest.raises(PermanentError) as too_large:
        extract(book, max_file_bytes=1000)
    assert too_large.value.code == ErrorCode.TOO_LARGE
    with pytest.raises(PermanentError) as too_large_bytes:
        extract(book.read_bytes(), max_file_bytes=1000)
    assert too_large_bytes.value.code == ErrorCode.TOO_LARGE
    with pytest.raises(PermanentError) as too_many:
        extract(book, max_pages=25)
    assert too_many.value.code == ErrorCode.TOO_MANY_PAGES
    assert "26 pages" in too_many.value.message


@pytest.mark.parametrize("engine", ENGINES)
def test_user_password_is_encrypted_but_owner_only_is_processed(
    extract, samples_dir: Path, engine: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        extract(encrypted_copy(samples_dir / "research-paper.pdf", "open-sesame"), engine=engine)
    assert caught.value.code == ErrorCode.ENCRYPTED

    result = extract(encrypted_copy(samples_dir / "research-paper.pdf", ""), engine=engine)
    assert result.pdf.encrypted
    assert result.chapters[1].title == "1 Introduction"


def test_long_chapters_split_at_their_sections_then_pages(extract, samples_dir: Path, profile) -> None:
    small = profile.model_copy(update={"max_chapter_chars": 6000, "min_chapter_chars": 100})
    result = extract(samples_dir / "cloud-data-handbook.pdf", profile=small)

    first = [c for c in result.chapters if c.title.startswith("1 Cloud Storage Foundations (part ")]
    assert len(first) > 1
    assert [c.title for c in first] == [
        f"1 Cloud Storage Foundations (part {n} of {len(first)})" for n in range(1, len(first) + 1)
    ]
    # Sections 1.1 (page 3) and 1.2 (page 5) open a part of their own.
    assert {3, 5} <= {c.start_page for c in first}
    assert [c.part for c in first] == list(range(1, len(first) + 1))
    assert {c.parts for c in first} == {len(first)}
    assert all(c.char_count <= 6000 for c in result.chapters)
    assert all(c.detected_by == DetectedBy.OUTLINE for c in result.chapters)
    assert_tiles(result)


def test_a_page_longer_than_the_limit_is_cut_into_parts_that_share_it(extract, profile) -> None:
    sentence = "Queues absorb bursts of traffic so that consumers work at a steady rate."
    data = raw_pdf([text_page(*[sentence] * 40)])
    tiny = profile.model_copy(update={"max_chapter_chars": 800, "min_chapter_chars": 0})

    result = extract(data, profile=tiny)

    assert len(result.chapters) > 1
    assert all(c.start_page == c.end_page == 1 for c in result.chapters)
    assert all(c.char_count <= 800 for c in result.chapters)
    assert sum(c.text.count("Queues") for c in result.chapters) == 40


def test_small_fragments_merge_into_a_neighbour(extract, samples_dir: Path, profile) -> None:
    picky = profile.model_copy(update={"min_chapter_chars": 20_000, "max_chapter_chars": 1_000_000})
    result = extract(samples_dir / "cloud-data-handbook.pdf", profile=picky)

    assert len(result.chapters) < 5
    assert all(c.char_count >= 20_000 for c in result.chapters)
    assert_tiles(result)
