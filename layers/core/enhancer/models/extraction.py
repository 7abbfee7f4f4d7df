"""What extraction hands to the pipeline: the PDF's facts and its chapters with their text."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from enhancer.models.bounded import TITLE_MAX_CHARS, BoundedText
from enhancer.models.enums import DetectedBy
from enhancer.models.result import ChapterHierarchy, PdfInfo, Section

__all__ = ["ChapterSpan", "ExtractedChapter", "ExtractionResult", "OutlineEntry", "Section"]


class OutlineEntry(BoundedText):
    """One outline (bookmark) entry; ``page`` is 1-based, None when the destination is unresolvable."""

    model_config = ConfigDict(frozen=True)
    _bounds: ClassVar[dict[str, int]] = {"title": TITLE_MAX_CHARS}

    title: str
    page: int | None = Field(default=None, ge=1)
    level: int = Field(default=0, ge=0)


class ChapterSpan(ChapterHierarchy):
    _bounds: ClassVar[dict[str, int]] = {**ChapterHierarchy._bounds, "title": TITLE_MAX_CHARS}

    index: int = Field(ge=0)
    title: str
    start_page: int = Field(ge=1)
    end_page: int = Field(ge=1)
    detected_by: DetectedBy
    char_count: int = Field(ge=0)
    ocr_share: float = Field(default=0.0, ge=0, le=1, description="share of the chapter's text read by OCR")
    part: int | None = Field(
        default=None, ge=1, description="1-based part number when a long chapter was split"
    )
    parts: int | None = Field(default=None, ge=1)


class ExtractedChapter(ChapterSpan):
    text: str

    def span(self) -> ChapterSpan:
        return ChapterSpan.model_validate(self.model_dump(exclude={"text"}))


class ExtractionResult(BaseModel):
    pdf: PdfInfo
    chapters: list[ExtractedChapter]
    outline: list[OutlineEntry] = Field(default_factory=list)
    engine: str = Field(description="text engine that produced the page text: pdfium or pypdf")
    extract_ms: int = Field(default=0, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def chapter_count(self) -> int:
        return len(self.chapters)
