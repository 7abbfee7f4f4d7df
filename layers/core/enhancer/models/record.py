"""The DynamoDB documents-table item."""

from datetime import datetime

from pydantic import BaseModel, Field

from enhancer.models.bounded import ErrorMessage, ProfileName, RecordTitle
from enhancer.models.enums import DocumentStatus, ErrorCode


class DocumentRecord(BaseModel):
    document_id: str
    status: DocumentStatus
    profile: ProfileName
    source_bucket: str
    source_key: str
    source_etag: str = ""
    size_bytes: int = Field(default=0, ge=0)
    sha256: str = ""
    page_count: int | None = None
    title: RecordTitle | None = None
    chapter_count: int | None = None
    chapters_done: set[int] = Field(default_factory=set)
    chapters_failed: set[int] = Field(default_factory=set)
    page_tasks: int | None = Field(default=None, description="page ranges of a fanned-out extraction")
    pages_done: set[int] = Field(default_factory=set, description="first page of each range extracted")
    pages_fan_in: int | None = Field(default=None, description="first page of the range that claimed fan-in")
    fan_in_chapter: int | None = Field(default=None, description="the chapter that claimed the fan-in")
    llm_requests: dict[int, int] = Field(
        default_factory=dict, description="LLM requests already sent per chapter by receives that failed"
    )
    validation_claim: str | None = Field(default=None, description="the validate message finishing it")
    validation_claim_expires: datetime | None = None
    llm_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost_usd: float = 0.0
    extract_ms: int = 0
    validate_ms: int = 0
    result_key: str | None = None
    error_code: ErrorCode | None = None
    error_message: ErrorMessage | None = None
    created_at: datetime
    updated_at: datetime
    run: int = Field(default=0, ge=0, description="0 for the first run, +1 per reprocess")
