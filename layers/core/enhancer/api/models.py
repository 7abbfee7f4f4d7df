"""Request and response bodies of the HTTP API; Powertools validates both and the OpenAPI document is built
from them (``schemas/openapi.json``)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from enhancer.models import DocumentStatus, ErrorCode

DOCUMENT_ID_PATTERN = r"^[0-9a-f]{32}$"
PDF_CONTENT_TYPE = "application/pdf"


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. INVALID_REQUEST, NOT_FOUND, CONFLICT")
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["healthy"]
    timestamp: datetime


CheckStatus = Literal["ok", "degraded", "unavailable"]
CheckKind = Literal["table", "bucket", "queue", "dead_letter_queue", "provider", "error_rate"]


class DependencyCheck(BaseModel):
    name: str
    kind: CheckKind
    status: CheckStatus
    latency_ms: float = Field(ge=0)
    message: str
    depth: int | None = Field(default=None, description="queues: visible plus in-flight messages")
    details: dict[str, bool | int | float | str | None] = Field(default_factory=dict)


class DetailedHealth(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    timestamp: datetime
    checks: list[DependencyCheck]


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(
        min_length=5, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$", description="ends in .pdf; no slashes"
    )
    profile: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    size_bytes: int | None = Field(
        default=None, ge=1, description="optional; when given it is checked now (413) and signed into the URL"
    )


class UploadTicket(BaseModel):
    document_id: str
    upload_url: str = Field(description=f"HTTP PUT the PDF here with Content-Type: {PDF_CONTENT_TYPE}")
    upload_method: Literal["PUT"] = "PUT"
    upload_headers: dict[str, str]
    key: str
    expires_in: int = Field(description="seconds the upload URL stays valid")
    max_bytes: int


class DocumentView(BaseModel):
    """The status record as callers see it (the fan-in bookkeeping reduced to counts)."""

    document_id: str
    status: DocumentStatus
    profile: str
    source_key: str
    size_bytes: int
    page_count: int | None = None
    title: str | None = None
    chapter_count: int | None = None
    chapters_done: int = 0
    chapters_failed: int = 0
    llm_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost_usd: float = 0.0
    error_code: ErrorCode | None = None
    error_message: str | None = None
    run: int = 0
    result_available: bool
    created_at: datetime
    updated_at: datetime


class DocumentPage(BaseModel):
    items: list[DocumentView]
    next_token: str | None = Field(default=None, description="pass as next_token for the next page")


class ResultLink(BaseModel):
    """Returned instead of the result JSON when it is too large for an API Gateway response."""

    document_id: str
    result_url: str
    expires_in: int
    size_bytes: int


class ReprocessAccepted(BaseModel):
    document_id: str
    status: DocumentStatus
    run: int
