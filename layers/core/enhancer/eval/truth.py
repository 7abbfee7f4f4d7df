"""A truth file: one JSON per document (``samples/truth/<pdf-stem>.json``), what a person says the result
should be. Only ``file`` is required; every metric is scored where its truth is given."""

from pydantic import BaseModel, ConfigDict, Field

from enhancer.models import DocumentStatus, ErrorCode


class TruthChapter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    start_page: int = Field(ge=1)
    keywords: list[str] | None = None
    summary: str | None = None


class TruthMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keywords: list[str] | None = None
    summary: str | None = None


class TruthDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="the PDF's file name; results are matched to it by their source key")
    status: DocumentStatus | None = None
    error_code: ErrorCode | None = None
    chapters: list[TruthChapter] | None = None
    document: TruthMetadata | None = None
    note: str | None = None
