"""The result JSON contract: ``results/{document_id}.json`` and ``<pdf-stem>.json`` locally."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from enhancer.models.bounded import AUTHOR_MAX_CHARS, LABEL_MAX_CHARS, TITLE_MAX_CHARS, BoundedText
from enhancer.models.enums import ChapterStatus, DetectedBy, DocumentStatus, ErrorCode, Severity


class SourceInfo(BaseModel):
    bucket: str
    key: str
    size_bytes: int = Field(ge=0)
    sha256: str


class OcrPageInfo(BaseModel):
    """One page that had no usable text layer and was sent to OCR (pages not listed kept their text)."""

    page: int = Field(ge=1)
    engine: str = Field(description="rapidocr or textract")
    status: Literal["ocr", "failed", "skipped"] = Field(
        description="ocr: read by the engine; failed: the engine failed on it; skipped: too large to render"
    )
    confidence: float | None = Field(default=None, ge=0, le=1, description="mean line confidence, 0..1")
    chars: int = Field(default=0, ge=0, description="characters of text the engine found")
    dpi: int | None = Field(default=None, ge=1, description="resolution the page was rendered at")
    latency_ms: int = Field(default=0, ge=0)
    warning: str | None = None


class PdfInfo(BoundedText):
    _bounds: ClassVar[dict[str, int]] = {"title": TITLE_MAX_CHARS, "author": AUTHOR_MAX_CHARS}

    page_count: int = Field(ge=0)
    title: str | None = None
    author: str | None = None
    has_outline: bool = False
    encrypted: bool = False
    text_chars: int = Field(default=0, ge=0)
    ocr_pages: list[OcrPageInfo] = Field(default_factory=list)


class DocumentMetadata(BaseModel):
    """Document-level metadata; profile-specific fields ride along as extra keys."""

    model_config = ConfigDict(extra="allow")

    title: str
    summary: str
    keywords: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    language: str | None = None


class ChapterMetadata(BaseModel):
    """Chapter-level metadata; profile-specific fields ride along as extra keys."""

    model_config = ConfigDict(extra="allow")

    summary: str
    keywords: list[str] = Field(default_factory=list)
    concepts: list[str] = Field(default_factory=list)


class LlmCallInfo(BaseModel):
    """Which provider served a chapter and what it cost."""

    provider: str
    model: str
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cached: bool = False
    latency_ms: int = Field(default=0, ge=0)
    attempts: int = Field(default=1, ge=0)
    estimated_cost_usd: float = Field(default=0.0, ge=0)


class ChapterError(BaseModel):
    code: ErrorCode
    message: str


class Section(BoundedText):
    """A heading inside a chapter: deeper outline levels, or typography/contents below the chapter level."""

    _bounds: ClassVar[dict[str, int]] = {"title": TITLE_MAX_CHARS, "page_label": LABEL_MAX_CHARS}

    title: str
    page: int = Field(ge=1)
    level: int = Field(default=1, ge=1, description="1 = directly below the chapter")
    page_label: str | None = Field(default=None, description="printed page label (/PageLabels)")


class ChapterHierarchy(BoundedText):
    """Where a chapter sits in the document: its part, its sections, its printed page labels."""

    _bounds: ClassVar[dict[str, int]] = {
        "part_title": TITLE_MAX_CHARS,
        "start_label": LABEL_MAX_CHARS,
        "end_label": LABEL_MAX_CHARS,
    }

    part_title: str | None = Field(default=None, description="title of the part holding this chapter")
    sections: list[Section] = Field(default_factory=list)
    start_label: str | None = Field(default=None, description="printed label of start_page (/PageLabels)")
    end_label: str | None = Field(default=None, description="printed label of end_page (/PageLabels)")
    starts_mid_page: bool = Field(
        default=False,
        description="the chapter opens below other text on start_page, which the previous chapter ends on",
    )


class ChapterResult(BoundedText):
    _bounds: ClassVar[dict[str, int]] = {
        "title": TITLE_MAX_CHARS,
        "part_title": TITLE_MAX_CHARS,
        "start_label": LABEL_MAX_CHARS,
        "end_label": LABEL_MAX_CHARS,
    }

    index: int = Field(ge=0)
    title: str
    start_page: int = Field(ge=1)
    end_page: int = Field(ge=1)
    detected_by: DetectedBy
    char_count: int = Field(ge=0)
    ocr_share: float = Field(default=0.0, ge=0, le=1, description="share of the chapter's text read by OCR")
    status: ChapterStatus
    metadata: ChapterMetadata | None = None
    llm: LlmCallInfo | None = None
    error: ChapterError | None = None
    # The hierarchy (ChapterHierarchy's fields, after the contract's own keys).
    part_title: str | None = Field(default=None, description="title of the part holding this chapter")
    sections: list[Section] = Field(default_factory=list)
    start_label: str | None = Field(default=None, description="printed label of start_page (/PageLabels)")
    end_label: str | None = Field(default=None, description="printed label of end_page (/PageLabels)")
    starts_mid_page: bool = Field(
        default=False,
        description="the chapter opens below other text on start_page, which the previous chapter ends on",
    )

    @staticmethod
    def hierarchy_of(span: ChapterHierarchy) -> dict[str, object]:
        return span.model_dump(include=set(ChapterHierarchy.model_fields))


class ValidationIssue(BaseModel):
    rule: str
    severity: Severity
    path: str
    message: str


class ValidationReport(BaseModel):
    passed: bool
    issues: list[ValidationIssue] = Field(default_factory=list)


OFFLINE_PROVIDER = "offline"


class Usage(BaseModel):
    llm_calls: int = Field(default=0, ge=0)
    cache_hits: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    estimated_cost_usd: float = Field(default=0.0, ge=0)
    ocr_pages: int = Field(default=0, ge=0, description="pages read by an OCR engine")
    ocr_cost_usd: float = Field(
        default=0.0, ge=0, description="OCR pages x price per page; not in the LLM cost"
    )

    @classmethod
    def of_calls(cls, calls: list[LlmCallInfo]) -> "Usage":
        """Totals over provider answers: ``llm_calls`` counts the requests really sent (retries and re-asks
        included, and those of a chapter that got no answer); a cache hit sends none, and neither does the
        offline provider, which never leaves the process."""
        return cls(
            llm_calls=sum(
                max(1, c.attempts) for c in calls if not c.cached and c.provider != OFFLINE_PROVIDER
            ),
            cache_hits=sum(1 for c in calls if c.cached),
            input_tokens=sum(c.input_tokens for c in calls),
            output_tokens=sum(c.output_tokens for c in calls),
            estimated_cost_usd=round(sum(c.estimated_cost_usd for c in calls), 6),
        )


class Timings(BaseModel):
    extract_ms: int = Field(default=0, ge=0)
    enrich_ms: int = Field(default=0, ge=0)
    validate_ms: int = Field(default=0, ge=0)
    total_ms: int = Field(default=0, ge=0)


class DocumentResult(BaseModel):
    schema_version: Literal["1.0"] = "1.0"
    document_id: str
    source: SourceInfo
    status: DocumentStatus
    error_code: ErrorCode | None = None
    error_message: str | None = None
    profile: str
    pdf: PdfInfo | None = None
    document: DocumentMetadata | None = None
    chapters: list[ChapterResult] = Field(default_factory=list)
    validation: ValidationReport = Field(default_factory=lambda: ValidationReport(passed=False))
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    created_at: datetime
    completed_at: datetime | None = None
    truncated: list[str] = Field(
        default_factory=list,
        description="paths of text from the PDF that was cut to its limit, e.g. pdf.title, chapters[3].title",
    )

    @model_validator(mode="after")
    def _collect_truncated(self) -> "DocumentResult":
        paths = [f"pdf.{name}" for name in self.pdf.truncated] if self.pdf else []
        for chapter in self.chapters:
            paths += [f"chapters[{chapter.index}].{name}" for name in chapter.truncated]
            for position, section in enumerate(chapter.sections):
                paths += [
                    f"chapters[{chapter.index}].sections[{position}].{name}" for name in section.truncated
                ]
        self.truncated = paths
        return self
