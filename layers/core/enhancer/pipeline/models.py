"""The pipeline's own work files (not part of the external contract)."""

from datetime import datetime

from pydantic import BaseModel, Field

from enhancer.models import ChapterSpan, OutlineEntry, PdfInfo, SourceInfo


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
