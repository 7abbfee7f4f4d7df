"""The structure from PDFium matches pypdf's, and each engine's document is opened once, when needed."""

from pathlib import Path

import pytest
from pdf_builders import encrypted_copy, raw_pdf, text_page

from enhancer.errors import PermanentError
from enhancer.models import ErrorCode
from enhancer.pdf.document import open_structure

pytest.importorskip("pypdfium2")
LABELLED = "/PageLabels << /Nums [0 << /S /r >> 2 << /S /D /P (p. ) >>] >>"


def _pages(count: int, catalog: str = "") -> bytes:
    return raw_pdf([text_page(f"Page {n} of the book") for n in range(count)], catalog=catalog)


def test_pdfium_reads_the_structure_without_opening_pypdf(samples_dir: Path) -> None:
    structure = open_structure((samples_dir / "cloud-data-handbook.pdf").read_bytes(), 500)
    assert structure.pdfium is not None
    assert structure.reader is None
    assert structure.page_count == 26
    assert structure.outline


def test_pdfium_and_pypdf_give_the_same_structure(samples_dir: Path) -> None:
    for sample in sorted(samples_dir.glob("*.pdf")):
        if sample.name == "truncated.pdf":
            continue
        data = sample.read_bytes()
        auto, pypdf = open_structure(data, 500, "auto"), open_structure(data, 500, "pypdf")
        assert auto.pdfium is not None
        assert pypdf.pdfium is None
        for field in ("page_count", "title", "author", "outline", "encrypted", "labels"):
            assert getattr(auto, field) == getattr(pypdf, field), (sample.name, field)


def test_an_owner_password_only_file_is_flagged_encrypted_and_a_user_password_raises(
    samples_dir: Path,
) -> None:
    structure = open_structure(encrypted_copy(samples_dir / "research-paper.pdf", ""), 500)
    assert structure.pdfium is not None
    assert structure.encrypted
    with pytest.raises(PermanentError) as caught:
        open_structure(encrypted_copy(samples_dir / "research-paper.pdf", "open-sesame"), 500)
    assert caught.value.code == ErrorCode.ENCRYPTED
    assert not open_structure(_pages(1), 500).encrypted


def test_printed_page_labels_come_from_pdfium_as_pypdf_reads_them() -> None:
    data = _pages(4, catalog=LABELLED)
    auto, pypdf = open_structure(data, 500, "auto"), open_structure(data, 500, "pypdf")
    assert auto.labels == ["i", "ii", "p. 1", "p. 2"]
    assert pypdf.labels == auto.labels
    assert open_structure(_pages(2), 500).labels is None


def test_the_other_engine_opens_on_first_use_only(samples_dir: Path) -> None:
    structure = open_structure((samples_dir / "research-paper.pdf").read_bytes(), 500)
    assert structure.reader is None
    reader = structure.pypdf_reader()
    assert reader is not None
    assert structure.pypdf_reader() is reader
    structure.close()
    assert structure.pdfium is None


def test_open_pdf_reads_the_structure_with_the_engine_asked_for(samples_dir: Path) -> None:
    from enhancer.pdf.pages import open_pdf

    path = samples_dir / "research-paper.pdf"
    _, structure = open_pdf(path, max_file_bytes=10**7, max_pages=500, engine="pypdf")
    assert structure.reader is not None
    assert structure.pdfium is None
