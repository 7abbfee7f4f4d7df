"""Bounded memory: a decompression bomb ends in CORRUPT_PDF, and page text is capped."""

import io
import tracemalloc

import pytest
from pdf_builders import form_dag_pdf, raw_pdf, text_page, zero_bomb
from pypdf import PdfReader

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pdf import engines
from enhancer.pdf.engines import MAX_PAGE_CHARS, MAX_STREAM_BYTES, clean_text


@pytest.fixture(scope="module")
def bomb_pdf() -> bytes:
    # A content stream of 400 MiB of zeros, ~400 KB on disk, after a page of real text.
    data = raw_pdf([zero_bomb(400 * 1024 * 1024)], filter_name="FlateDecode")
    assert len(data) < 1_000_000
    return data


@pytest.mark.parametrize("engine", ["pdfium", "pypdf"])
def test_decompression_bomb_is_corrupt_pdf_without_inflating(extract, bomb_pdf: bytes, engine: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(PermanentError) as caught:
            extract(bomb_pdf, engine=engine)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.code == ErrorCode.CORRUPT_PDF
    assert "decompression bomb" in caught.value.message
    # Python-side allocations stay near the per-stream limit, under half of the 400 MiB the bomb holds.
    assert peak < 3 * MAX_STREAM_BYTES


def test_a_small_compressed_page_below_the_limit_is_read(extract) -> None:
    import zlib

    content = text_page("Chapter 1 Compressed streams", "Flate content is decoded as usual.")
    result = extract(raw_pdf([zlib.compress(content)], filter_name="FlateDecode"))
    assert "decoded as usual" in result.chapters[0].text


def test_page_text_is_capped() -> None:
    assert len(clean_text("x" * (MAX_PAGE_CHARS * 2))) == MAX_PAGE_CHARS


def test_forms_shared_by_forms_are_walked_once_each() -> None:
    # Given 40 forms per level, each drawing all 40 of the next level, 5 levels: 40**5 paths, 200 forms
    reader = PdfReader(io.BytesIO(form_dag_pdf(40, 5)))
    visited: set[tuple[int, int]] = set()
    # When the guard walks the page
    streams = list(engines._content_streams(reader.pages[0], set(), visited, set()))
    # Then each form and the page's content stream are visited once
    assert len(streams) == 40 * 5 + 1
    assert len(visited) == 40 * 5 + 1


def test_forms_listed_but_never_drawn_are_not_walked() -> None:
    reader = PdfReader(io.BytesIO(form_dag_pdf(40, 5, draw=False)))
    streams = list(engines._content_streams(reader.pages[0], set(), set(), set()))
    assert len(streams) == 1  # the page's own content stream


def test_a_bomb_deep_in_a_form_graph_is_found(extract) -> None:
    # Six levels down (deeper than a tree walk's old depth limit), shared by every path
    data = form_dag_pdf(2, 6, leaf=zero_bomb(200 * 1024 * 1024), leaf_filter="FlateDecode")
    with pytest.raises(PermanentError) as caught:
        extract(data, engine="pdfium")
    assert caught.value.code == ErrorCode.CORRUPT_PDF


def test_forms_checked_on_one_page_are_not_walked_again_on_the_next() -> None:
    reader = PdfReader(io.BytesIO(form_dag_pdf(3, 3)))
    engines.check_page_inflation(reader, 0)
    checked = engines._checked_streams(reader)
    assert list(engines._content_streams(reader.pages[0], checked, set(), set())) == []


def test_a_form_graph_over_the_work_budget_is_read_by_pypdf(extract, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a page whose form graph is larger than the guard may walk
    monkeypatch.setattr(engines, "FORM_WORK_BUDGET", 50)
    data = form_dag_pdf(30, 3)
    reader = PdfReader(io.BytesIO(data))
    with pytest.raises(engines.GuardBudgetExceeded):
        engines.check_page_inflation(reader, 0)
    # Then extraction still reads the page (pypdf decodes under its own limits)
    result = extract(data, engine="auto")
    assert "read once" in result.chapters[0].text
