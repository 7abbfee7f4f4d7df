"""The product's contracts as pydantic models (see ARCHITECTURE.md, "Data contracts")."""

from enhancer.models.enums import (
    TERMINAL_STATUSES,
    ChapterStatus,
    DetectedBy,
    DocumentStatus,
    ErrorCode,
    Severity,
)
from enhancer.models.extraction import ChapterSpan, ExtractedChapter, ExtractionResult, OutlineEntry, Section
from enhancer.models.messages import (
    ChapterPayload,
    EnrichedChapter,
    EnrichMessage,
    PagesMessage,
    ValidateMessage,
)
from enhancer.models.record import DocumentRecord
from enhancer.models.result import (
    ChapterError,
    ChapterMetadata,
    ChapterResult,
    DocumentMetadata,
    DocumentResult,
    LlmCallInfo,
    PdfInfo,
    SourceInfo,
    Timings,
    Usage,
    ValidationIssue,
    ValidationReport,
)

__all__ = [
    "TERMINAL_STATUSES",
    "ChapterError",
    "ChapterMetadata",
    "ChapterPayload",
    "ChapterResult",
    "ChapterSpan",
    "ChapterStatus",
    "DetectedBy",
    "DocumentMetadata",
    "DocumentRecord",
    "DocumentResult",
    "DocumentStatus",
    "EnrichMessage",
    "EnrichedChapter",
    "ErrorCode",
    "ExtractedChapter",
    "ExtractionResult",
    "LlmCallInfo",
    "OutlineEntry",
    "PagesMessage",
    "PdfInfo",
    "Section",
    "Severity",
    "SourceInfo",
    "Timings",
    "Usage",
    "ValidateMessage",
    "ValidationIssue",
    "ValidationReport",
]
