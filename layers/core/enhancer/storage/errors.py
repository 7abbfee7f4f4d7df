"""SDK errors turned into the pipeline's two kinds: retry it, or record it and move on."""

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError

from enhancer.errors import PermanentError, PipelineError, RetryableError
from enhancer.models import ErrorCode

_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TransactionConflictException",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalServerError",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def convert(exc: Exception, action: str) -> PipelineError:
    """``raise convert(exc, "reading s3://b/k") from exc``: throttling, 5xx and network faults are retryable,
    everything else (missing bucket, access denied, bad request) is permanent and needs a person."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _RETRYABLE_CODES or status >= 500:
            return RetryableError(f"{action}: {code or status}", code=ErrorCode.INTERNAL)
        return PermanentError(f"{action}: {code or status}", code=ErrorCode.INTERNAL)
    if isinstance(exc, EndpointConnectionError | ConnectionError | BotoCoreError):
        return RetryableError(f"{action}: {type(exc).__name__}", code=ErrorCode.INTERNAL)
    return PermanentError(f"{action}: {type(exc).__name__}", code=ErrorCode.INTERNAL)
