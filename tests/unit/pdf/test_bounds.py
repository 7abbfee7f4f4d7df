"""Bounded memory: a decompression bomb ends in CORRUPT_PDF, and page text is capped."""

import tracemalloc

import pytest
from pdf_builders import raw_pdf, text_page, zero_bomb

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
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
