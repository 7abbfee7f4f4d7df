"""Two kinds of failure: retry it (SQS redelivers, then the DLQ) or record it and move on."""

from enhancer.models.enums import ErrorCode


class PipelineError(Exception):
    """Base for every error the pipeline knows how to handle; ``code`` is an architecture error code."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class PermanentError(PipelineError):
    """Retrying cannot help (bad PDF, schema violation): record the failed state and acknowledge."""


class RetryableError(PipelineError):
    """A passing fault (throttling, timeout, provider 5xx): fail the record so SQS redelivers it."""


class ConfigError(PermanentError):
    """A configuration file is missing or invalid; the message names the file, field and reason."""

    code = ErrorCode.INTERNAL


class DocumentBusyError(RetryableError):
    """Another run of the same document holds it: try again later, never fail the document for it."""
