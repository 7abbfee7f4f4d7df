"""The pipeline's own work files (not part of the external contract)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from enhancer.models import ChapterSpan, OutlineEntry, PdfInfo, SourceInfo
from enhancer.models.result import OcrPageInfo


class ExtractionManifest(BaseModel):
    """``work/{doc}/manifest.json``: what extraction found, without the text, for the validate step."""

    document_id: str
    profile: str
    source: SourceInfo
    pdf: PdfInfo
    chapters: list[ChapterSpan]
    outline: list[OutlineEntry] = Field(default_factory=list)
    engine: str
    language: str | None = None
    extract_ms: int = 0
    created_at: datetime
    extracted_at: datetime


class S3ObjectRef(BaseModel):
    """One object an S3 notification is about; the key is already URL-decoded."""

    bucket: str
    key: str
    etag: str = ""
    size_bytes: int | None = None


class PagesPlan(BaseModel):
    """``work/{doc}/pages/plan.json``: a fanned-out extraction's structure facts, for its fan-in."""

    document_id: str
    profile: str
    run: int = 0
    source: SourceInfo
    page_count: int = Field(ge=1)
    title: str | None = None
    author: str | None = None
    encrypted: bool = False
    outline: list[OutlineEntry] = Field(default_factory=list)
    ranges: list[tuple[int, int]]
    plan_ms: int = Field(default=0, ge=0, description="download and structure, before the fan-out")
    created_at: datetime
    planned_at: datetime


class PageRangeFile(BaseModel):
    """``work/{doc}/pages/{first}-{last}.json``: one range's cleaned page text."""

    document_id: str
    first_page: int = Field(ge=1)
    last_page: int = Field(ge=1)
    engine: Literal["pdfium", "pypdf"]
    unreadable: int = Field(default=0, ge=0)
    texts: list[str]
    # Per page, its lines' typography as StyledLine.dump() rows (empty when the engine gave none),
    # and the printed page labels when the PDF has them: detection at the fan-in uses both.
    styles: list[list[list[Any]]] = Field(default_factory=list)
    labels: list[str] | None = None
    ocr_pages: list[OcrPageInfo] = Field(default_factory=list, description="pages of the range sent to OCR")
