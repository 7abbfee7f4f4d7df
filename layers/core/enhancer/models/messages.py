"""SQS message bodies and the S3 work files between steps. Messages carry pointers, never text."""

from pydantic import BaseModel, Field

from enhancer.models.extraction import ChapterSpan
from enhancer.models.result import ChapterError, ChapterMetadata, LlmCallInfo


class EnrichMessage(BaseModel):
    """Enrich queue body: one chapter of one document."""

    document_id: str
    chapter_index: int = Field(ge=0)
    chapter_key: str = Field(description="S3 key of the ChapterPayload in the output bucket")
    profile: str
    run: int = Field(default=0, ge=0, description="the document's run (reprocess count), for idempotency")


class PagesMessage(BaseModel):
    """Pages queue body: one page range of a huge document (pages are 1-based, both ends included)."""

    document_id: str
    first_page: int = Field(ge=1)
    last_page: int = Field(ge=1)
    run: int = Field(default=0, ge=0, description="the document's run (reprocess count), for idempotency")


class ValidateMessage(BaseModel):
    """Validate queue body: sent by the enrichment that completes the chapter set."""

    document_id: str
    run: int = Field(default=0, ge=0, description="the document's run (reprocess count)")


class ChapterPayload(BaseModel):
    """``work/{doc}/chapters/{n}.json``: one chapter's text for the enrich step."""

    document_id: str
    profile: str
    chapter: ChapterSpan
    text: str
    language: str | None = None


class EnrichedChapter(BaseModel):
    """``work/{doc}/enriched/{n}.json``: the enrich step's outcome for one chapter."""

    document_id: str
    chapter_index: int = Field(ge=0)
    metadata: ChapterMetadata | None = None
    llm: LlmCallInfo | None = None
    error: ChapterError | None = None
    enrich_ms: int = Field(default=0, ge=0)
