"""OCR of scanned pages: one small engine interface (``OcrEngine``), RapidOCR locally, Amazon Textract on
AWS. Light to import: engines load their libraries on first use, and the per-page pass lives in
``enhancer.ocr.pages``."""

from typing import Literal

from enhancer.ocr.engine import OcrEngine, OcrError, OcrLine, OcrOptions, OcrText, PageImage

OcrEngineName = Literal["auto", "textract", "rapidocr", "none"]

__all__ = [
    "OcrEngine",
    "OcrEngineName",
    "OcrError",
    "OcrLine",
    "OcrOptions",
    "OcrText",
    "PageImage",
    "make_engine",
    "resolve_engine",
]


def resolve_engine(setting: OcrEngineName, *, on_lambda: bool) -> Literal["textract", "rapidocr"] | None:
    """``auto`` is Textract on Lambda and RapidOCR everywhere else; ``none`` is no OCR."""
    if setting == "none":
        return None
    if setting == "auto":
        return "textract" if on_lambda else "rapidocr"
    return setting


def make_engine(name: Literal["textract", "rapidocr"], *, threads: int = 0) -> OcrEngine:
    if name == "textract":
        from enhancer.ocr.textract import TextractEngine

        return TextractEngine()
    from enhancer.ocr.rapid import RapidOcrEngine

    return RapidOcrEngine(threads=threads)
