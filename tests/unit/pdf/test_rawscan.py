"""The raw scan vouches for a file only when no stream can inflate past the limit in PDFium."""

import os
import time
import zlib

import pytest
from pdf_builders import pdf_from_objects, raw_pdf, text_page, zero_bomb

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pdf import document, rawscan
from enhancer.pdf.engines import MAX_STREAM_BYTES
from enhancer.pdf.rawscan import streams_are_bounded

PAGE = text_page("Chapter 1 Raw bytes", "Every object of the file is bounded before PDFium reads it.")


def _stream(dictionary: str, data: bytes, length: int | None = None) -> bytes:
    declared = len(data) if length is None else length
    return f"<< /Length {declared} {dictionary} >>\nstream\n".encode() + data + b"\nendstream"


def _one_page(content_object: bytes, *extra: bytes) -> bytes:
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            content_object,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def flate_bomb() -> bytes:
    return zero_bomb(200 * 1024 * 1024)  # ~200 KB on disk


def test_a_well_formed_file_is_vouched_for() -> None:
    assert streams_are_bounded(raw_pdf([PAGE]), encrypted=False)
    assert streams_are_bounded(raw_pdf([zlib.compress(PAGE)], filter_name="FlateDecode"), encrypted=False)


def test_a_large_single_flate_bomb_is_not(flate_bomb: bytes) -> None:
    assert len(flate_bomb) * 1032 > MAX_STREAM_BYTES  # too large for the ratio bound: it is decoded
    assert not streams_are_bounded(raw_pdf([flate_bomb], filter_name="FlateDecode"), encrypted=False)


def test_a_bomb_behind_a_chained_filter_is_not() -> None:
    # Given zeros compressed twice: a few hundred bytes on disk, 100 MiB after both layers
    twice = zlib.compress(zero_bomb(100 * 1024 * 1024), 9)
    assert len(twice) < 2_000
    data = raw_pdf([twice], filter_name="[/FlateDecode /FlateDecode]")
    assert not streams_are_bounded(data, encrypted=False)
    # and the same chain around real text is read
    benign = raw_pdf([zlib.compress(zlib.compress(PAGE))], filter_name="[/Fl /FlateDecode]")
    assert streams_are_bounded(benign, encrypted=False)


def test_a_filter_the_scan_does_not_know_passes_the_bound_on(flate_bomb: bytes) -> None:
    data = _one_page(_stream("/Filter [/Crypt /FlateDecode]", flate_bomb))
    assert not streams_are_bounded(data, encrypted=False)


def test_many_streams_without_endstream_are_scanned_in_linear_time() -> None:
    # Given 20,000 tiny stream objects and no endstream anywhere: each runs to the end of the file
    body = b"".join(b"%d 0 obj\n<< /Length 1 >>\nstream\nx\nendobj\n" % n for n in range(1, 20_001))
    started = time.perf_counter()
    assert streams_are_bounded(b"%PDF-1.7\n" + body, encrypted=False)
    assert time.perf_counter() - started < 2


def test_an_escaped_filter_name_is_read_as_the_filter(flate_bomb: bytes) -> None:
    data = _one_page(_stream("/Filter /Flate#44ecode", flate_bomb))
    assert not streams_are_bounded(data, encrypted=False)


NESTED = {
    "nested": "/DecodeParms << /Columns [1 2] >> /Filter /FlateDecode /Resources << /F << /A 5 0 R >> >>",
    "array-with-spaces": "/Filter\n[ /FlateDecode\t]",
    "filter-nested-too": "/Group << /Filter /ASCIIHexDecode >> /Filter /FlateDecode",
    "filter-nested-after": "/Filter /FlateDecode /Group << /Filter /ASCIIHexDecode >>",
    "string-and-nesting": "/Filter /FlateDecode /Info << /T (a title) >>",
}


@pytest.mark.parametrize("dictionary", NESTED.values(), ids=NESTED.keys())
def test_the_filter_beside_nested_dictionaries_is_the_one_read(dictionary: str, flate_bomb: bytes) -> None:
    # Given a stream whose top-level /Filter sits among nested dictionaries, some with a /Filter of their own
    bomb = _one_page(_stream(dictionary, flate_bomb))
    benign = _one_page(_stream(dictionary, zlib.compress(PAGE) + os.urandom(70_000)))
    # then the bomb is caught and the benign stream, decoded to bound it, passes
    assert not streams_are_bounded(bomb, encrypted=False)
    assert streams_are_bounded(benign, encrypted=False)


def test_a_length_inside_a_nested_dictionary_does_not_shorten_the_stream(flate_bomb: bytes) -> None:
    stream = b"<< /Filter /FlateDecode /X << /Length 10 >> >>\nstream\n" + flate_bomb + b"\nendstream"
    assert not streams_are_bounded(_one_page(stream), encrypted=False)


@pytest.mark.parametrize("declared", [10, 10**12], ids=["short", "past-the-file"])
def test_a_lying_length_does_not_hide_the_stream(flate_bomb: bytes, declared: int) -> None:
    data = _one_page(_stream("/Filter /FlateDecode", flate_bomb, length=declared))
    assert not streams_are_bounded(data, encrypted=False)


def test_a_stream_without_endstream_is_bounded_by_the_end_of_the_file(flate_bomb: bytes) -> None:
    data = _one_page(_stream("/Filter /FlateDecode", flate_bomb)).replace(b"endstream", b"")
    assert not streams_are_bounded(data, encrypted=False)


def test_an_indirect_length_is_resolved(flate_bomb: bytes) -> None:
    small = zlib.compress(PAGE)
    ok = _one_page(
        b"<< /Length 6 0 R /Filter /FlateDecode >>\nstream\n" + small + b"\nendstream",
        str(len(small)).encode(),
    )
    assert streams_are_bounded(ok, encrypted=False)
    bomb = _one_page(
        b"<< /Length 6 0 R /Filter /FlateDecode >>\nstream\n" + flate_bomb + b"\nendstream",
        str(len(flate_bomb)).encode(),
    )
    assert not streams_are_bounded(bomb, encrypted=False)


def test_an_encrypted_stream_too_large_for_the_ratio_bound_is_not_vouched_for() -> None:
    # Given 70 KB of (encrypted-looking) bytes under /FlateDecode: the scan cannot decode them
    data = raw_pdf([os.urandom(70_000)], filter_name="FlateDecode")
    assert not streams_are_bounded(data, encrypted=True)
    # unencrypted, the trial decode fails at once: PDFium gets no more out of it
    assert streams_are_bounded(data, encrypted=False)


def test_a_large_flate_image_is_left_to_the_per_page_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Flate image too large for the ratio bound: it could be some page's /Contents, which only the
    # per-page guard can tell, and decoding every image to find out would cost more than that guard
    image = _stream("/Type /XObject /Subtype /Image /Filter /FlateDecode", zlib.compress(os.urandom(70_000)))
    data = _one_page(_stream("/Filter /FlateDecode", zlib.compress(PAGE)), image)
    monkeypatch.setattr(rawscan, "_inflate_within", lambda *args: pytest.fail("the image was decoded"))
    assert not streams_are_bounded(data, encrypted=False)


def test_image_filters_end_what_is_decoded() -> None:
    data = raw_pdf([os.urandom(200_000)], filter_name="DCTDecode")
    assert streams_are_bounded(data, encrypted=True)


@pytest.mark.parametrize(
    "dictionary",
    ["/Filter /FlateDecode /Title (a stream of words)", "/Filter /FlateDecode /X (unbalanced"],
    ids=["stream-in-a-string", "unbalanced-string"],
)
def test_a_dictionary_the_scan_cannot_explain_is_not_vouched_for(dictionary: str) -> None:
    data = _one_page(_stream(dictionary, zlib.compress(PAGE) + os.urandom(70_000)))
    assert not streams_are_bounded(data, encrypted=False)


def test_the_decoding_budget_bounds_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    data = raw_pdf([zlib.compress(os.urandom(70_000))], filter_name="FlateDecode")  # decoded to bound it
    assert streams_are_bounded(data, encrypted=False)
    monkeypatch.setattr(rawscan, "SCAN_DECODE_BUDGET", 1024)
    assert not streams_are_bounded(data, encrypted=False)


def test_a_well_formed_file_opens_no_pypdf_reader(extract, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[bytes] = []
    real_open = document._open_pypdf
    monkeypatch.setattr(document, "_open_pypdf", lambda data: opened.append(data) or real_open(data))

    result = extract(raw_pdf([zlib.compress(PAGE)], filter_name="FlateDecode"), engine="auto")

    assert result.engine == "pdfium"
    assert "bounded before PDFium" in result.chapters[0].text
    assert opened == []


def test_a_file_the_scan_cannot_vouch_for_is_guarded_page_by_page(
    extract, flate_bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bytes] = []
    real_open = document._open_pypdf
    monkeypatch.setattr(document, "_open_pypdf", lambda data: opened.append(data) or real_open(data))

    with pytest.raises(PermanentError) as caught:
        extract(raw_pdf([flate_bomb], filter_name="FlateDecode"), engine="auto")

    assert caught.value.code == ErrorCode.CORRUPT_PDF
    assert "decompression bomb" in caught.value.message
    assert opened  # the per-page guard needed pypdf


def test_without_pypdf_a_file_the_scan_cannot_vouch_for_is_not_read_by_pdfium(
    extract, flate_bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bomb only PDFium can open (pypdf fails on it)
    monkeypatch.setattr(document, "_open_pypdf", lambda data: (_ for _ in ()).throw(ValueError("unparsable")))
    read: list[int] = []
    monkeypatch.setattr("enhancer.pdf.extract.pdfium_page", lambda doc, index, styled: read.append(index))

    with pytest.raises(PermanentError) as caught:
        extract(raw_pdf([flate_bomb], filter_name="FlateDecode"), engine="auto")

    assert caught.value.code == ErrorCode.CORRUPT_PDF
    assert read == []
