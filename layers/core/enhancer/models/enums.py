from enum import StrEnum


class DocumentStatus(StrEnum):
    RECEIVED = "RECEIVED"
    EXTRACTING = "EXTRACTING"
    ENRICHING = "ENRICHING"
    VALIDATING = "VALIDATING"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED})

# Forward-only: a status may move to a later one or to FAILED, never backwards.
ALLOWED_TRANSITIONS: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.RECEIVED: frozenset({DocumentStatus.EXTRACTING, DocumentStatus.FAILED}),
    DocumentStatus.EXTRACTING: frozenset({DocumentStatus.ENRICHING, DocumentStatus.FAILED}),
    DocumentStatus.ENRICHING: frozenset({DocumentStatus.VALIDATING, DocumentStatus.FAILED}),
    DocumentStatus.VALIDATING: frozenset(
        {DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED}
    ),
    DocumentStatus.COMPLETED: frozenset(),
    DocumentStatus.PARTIAL: frozenset(),
    DocumentStatus.FAILED: frozenset(),
}


class ErrorCode(StrEnum):
    NOT_A_PDF = "NOT_A_PDF"
    EMPTY_FILE = "EMPTY_FILE"
    TOO_LARGE = "TOO_LARGE"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    ENCRYPTED = "ENCRYPTED"
    CORRUPT_PDF = "CORRUPT_PDF"
    NO_TEXT = "NO_TEXT"
    UNKNOWN_PROFILE = "UNKNOWN_PROFILE"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    INVALID_LLM_OUTPUT = "INVALID_LLM_OUTPUT"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    # Set by the sweeper (enhancer.pipeline.sweep), not by a step: a step's message failed every receive and
    # waits in its DLQ (a crash, a Lambda timeout, out of memory) ...
    DEAD_LETTERED = "DEAD_LETTERED"
    # ... or the document outlived its step's maximum time with no message left to move it on.
    TIMED_OUT = "TIMED_OUT"
    INTERNAL = "INTERNAL"


class DetectedBy(StrEnum):
    OUTLINE = "outline"
    CONTENTS = "contents"
    TYPOGRAPHY = "typography"
    PATTERN = "pattern"
    FALLBACK = "fallback"


class ChapterStatus(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
