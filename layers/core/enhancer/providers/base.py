"""The one interface every enrichment provider implements (offline, OpenAI, Anthropic, Bedrock).

Wrappers for caching, rate limiting, retries and fallback implement the same protocol, so the enrich
step never knows which it is talking to.
"""

from typing import Protocol

from pydantic import BaseModel, Field

from enhancer.config import ProfileConfig
from enhancer.models import ChapterMetadata, LlmCallInfo


class EnrichmentRequest(BaseModel):
    document_id: str
    chapter_index: int = Field(ge=0)
    chapter_title: str
    text: str
    profile_name: str
    profile: ProfileConfig
    language: str | None = None


class EnrichmentOutcome(BaseModel):
    metadata: ChapterMetadata
    llm: LlmCallInfo


class ReduceRequest(BaseModel):
    """Document-level reduce: the chapter summaries in order, for one document summary."""

    document_id: str
    document_title: str
    chapter_titles: list[str]
    chapter_summaries: list[str]
    profile_name: str
    profile: ProfileConfig
    language: str | None = None


class ReduceOutcome(BaseModel):
    summary: str
    fields: dict[str, object] = Field(default_factory=dict, description="the profile's document_fields")
    llm: LlmCallInfo


class EnrichmentProvider(Protocol):
    """Raises ``RetryableError`` (code LLM_UNAVAILABLE) for passing faults and ``PermanentError``
    (code INVALID_LLM_OUTPUT) when the output cannot be made to fit the profile's schema."""

    name: str

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome: ...

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome: ...
