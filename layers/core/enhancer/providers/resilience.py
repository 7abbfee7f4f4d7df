"""The LLM budget per request: a request slot, rate limit, 3 attempts with exponential backoff and jitter,
retry-after.

Our wrapper does the retrying, not the SDKs (their own retries are switched off: ``max_retries=0``,
botocore ``total_max_attempts=1``), so there is exactly one retry loop, every attempt passes the shared
rate limiter, and ``LlmCallInfo.attempts`` counts what was really sent.
"""

import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from enhancer.deadline import remaining_s
from enhancer.errors import PermanentError, RetryableError
from enhancer.models import ErrorCode, LlmCallInfo
from enhancer.observability import MetricName, logger, metrics
from enhancer.providers.base import (
    EnrichmentOutcome,
    EnrichmentProvider,
    EnrichmentRequest,
    ReduceOutcome,
    ReduceRequest,
)
from enhancer.providers.ratelimit import RateLimiter

T = TypeVar("T")

MAX_RETRY_AFTER_S = 60.0


class LlmCallError(Exception):
    """One failed request to a provider, already classified. Raised by providers, consumed here."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        throttled: bool = False,
        retry_after_s: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.throttled = throttled
        self.retry_after_s = retry_after_s
        self.status = status


class ProviderUnavailableError(RetryableError):
    """Attempts exhausted on a passing fault: SQS may redeliver, the fallback may take over."""

    code = ErrorCode.LLM_UNAVAILABLE

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ProviderRejectedError(PermanentError):
    """The provider refused the request for a reason retrying cannot fix (bad key, bad model, 4xx)."""

    code = ErrorCode.LLM_UNAVAILABLE

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class RequestBudgetSpentError(ProviderUnavailableError):
    """Earlier receives of this chapter already sent every request its budget allows."""


_already_sent: ContextVar[int] = ContextVar("llm_requests_already_sent", default=0)


@contextmanager
def requests_already_sent(count: int) -> Iterator[None]:
    """One budget of ``max_attempts`` requests per chapter across SQS receives, not per receive: within the
    block, ``count`` requests count as spent (the enrich step tells it what earlier receives sent)."""
    token = _already_sent.set(count)
    try:
        yield
    finally:
        _already_sent.reset(token)


class RetryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_attempts: int = Field(default=3, ge=1)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=20.0, ge=0)
    min_time_to_retry_s: float = Field(
        default=35.0, ge=0, description="a retry needs this much of the invocation left (a request's timeout)"
    )

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        """Exponential backoff with equal jitter after ``attempt`` (1-based); a server's retry-after wins
        when it asks for longer."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        backoff = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after_s is not None:
            return max(backoff, min(retry_after_s, MAX_RETRY_AFTER_S))
        return backoff


@lru_cache(maxsize=8)
def request_slots(width: int) -> threading.BoundedSemaphore:
    """The process's LLM requests in flight (``MAX_WORKERS``), shared by every provider built in it."""
    return threading.BoundedSemaphore(width)


class CallBudget:
    """Everything one provider request must pass: a request slot (``in_flight``, when given), the shared
    limiter, then the retry loop.

    The slot is held for the request only, not for a retry's backoff: a batch's chapters may outnumber the
    slots (the enrich handler reads the next chapters while others wait on their answers), and one that is
    waiting to retry lets another one's request go."""

    def __init__(
        self,
        *,
        provider: str,
        limiter: RateLimiter,
        policy: RetryPolicy,
        in_flight: threading.BoundedSemaphore | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.limiter = limiter
        self.policy = policy
        self.in_flight = in_flight
        self._sleep = sleep

    def call(self, send: Callable[[], T]) -> tuple[T, int]:
        """``send()`` under the budget; returns its result and the attempts it took. A retry that would not
        fit in what is left of the invocation (``enhancer.deadline``) is not started: the chapter's last
        receive then records it failed instead of timing out mid-request."""
        allowed = self.policy.max_attempts - _already_sent.get()
        if allowed <= 0:
            raise RequestBudgetSpentError(
                f"{self.provider}: the chapter's {self.policy.max_attempts} requests were sent by earlier "
                "receives, all failed",
                0,
            )
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._request_slot(sent=attempt - 1):
                    self.limiter.acquire(self.provider)
                    return self._send(send), attempt
            except LlmCallError as exc:
                if not exc.retryable:
                    raise ProviderRejectedError(f"{self.provider}: {exc}", attempt) from exc
                if attempt >= allowed:
                    raise RequestBudgetSpentError(
                        f"{self.provider} unavailable after {attempt} attempts: {exc}", attempt
                    ) from exc
                delay = self.policy.delay(attempt, exc.retry_after_s)
                if remaining_s() - delay < self.policy.min_time_to_retry_s:
                    raise ProviderUnavailableError(
                        f"{self.provider}: no time left in the invocation to retry after {attempt} "
                        f"attempt(s): {exc}",
                        attempt,
                    ) from exc
                logger.warning(
                    "LLM request failed, retrying",
                    extra={
                        "provider": self.provider,
                        "attempt": attempt,
                        "status": exc.status,
                        "throttled": exc.throttled,
                        "retry_in_s": round(delay, 3),
                        "reason": str(exc),
                    },
                )
                self._sleep(delay)

    @contextmanager
    def _request_slot(self, *, sent: int) -> Iterator[None]:
        """A request slot for the block. One that does not come free while the request would still fit in
        the invocation (``min_time_to_retry_s`` before its deadline) is not waited for: the chapter goes back
        to SQS instead, with the requests it ``sent``."""
        if self.in_flight is None:
            yield
            return
        wait_s = remaining_s() - self.policy.min_time_to_retry_s
        if not self.in_flight.acquire(timeout=None if math.isinf(wait_s) else max(0.0, wait_s)):
            raise ProviderUnavailableError(
                f"{self.provider}: no free request slot before the invocation's deadline", sent
            )
        try:
            yield
        finally:
            self.in_flight.release()

    @staticmethod
    def _send(send: Callable[[], T]) -> T:
        """One request, counted where it is sent (LLMCalls, LLMErrors, LLMThrottles); latency, tokens and
        cost of an answer are counted by the provider that parsed it (``StructuredLlmProvider``)."""
        metrics.add_metric(name=MetricName.LLM_CALLS, unit=MetricUnit.Count, value=1)
        try:
            return send()
        except LlmCallError as exc:
            metrics.add_metric(name=MetricName.LLM_ERRORS, unit=MetricUnit.Count, value=1)
            if exc.throttled:
                metrics.add_metric(name=MetricName.LLM_THROTTLES, unit=MetricUnit.Count, value=1)
            raise


def parse_retry_after(headers: object) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), if present."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    if (millis := get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def classify_status(status: int, headers: object, message: str) -> LlmCallError:
    """429 throttles (honouring retry-after), 408/409/5xx pass; other 4xx will not get better."""
    retry_after = parse_retry_after(headers)
    if status == 429:
        return LlmCallError(
            f"HTTP 429 {message}", retryable=True, throttled=True, retry_after_s=retry_after, status=status
        )
    retryable = status in (408, 409) or status >= 500
    return LlmCallError(
        f"HTTP {status} {message}", retryable=retryable, retry_after_s=retry_after, status=status
    )


class FallbackProvider:
    """The primary provider, and ``LLM_FALLBACK_PROVIDER`` when the primary is out (attempts exhausted,
    outage, refused credentials). ``LlmCallInfo.provider`` then names the fallback and ``attempts`` counts
    both. Invalid output is not an outage and is not retried elsewhere; a full rate limit is our own
    budget, so SQS redelivers the chapter later instead."""

    def __init__(self, primary: EnrichmentProvider, fallback: EnrichmentProvider) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        try:
            return self.primary.enrich_chapter(request)
        except (ProviderUnavailableError, ProviderRejectedError) as exc:
            self._log(exc, request.document_id, request.chapter_index)
            failed_attempts = exc.attempts
        outcome = self.fallback.enrich_chapter(request)
        return outcome.model_copy(update={"llm": _with_attempts(outcome.llm, failed_attempts)})

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome:
        try:
            return self.primary.reduce_document(request)
        except (ProviderUnavailableError, ProviderRejectedError) as exc:
            self._log(exc, request.document_id, None)
            failed_attempts = exc.attempts
        outcome = self.fallback.reduce_document(request)
        return outcome.model_copy(update={"llm": _with_attempts(outcome.llm, failed_attempts)})

    def _log(self, exc: Exception, document_id: str, chapter_index: int | None) -> None:
        logger.warning(
            "LLM provider unavailable, using the fallback provider",
            extra={
                "provider": self.primary.name,
                "fallback_provider": self.fallback.name,
                "document_id": document_id,
                "chapter_index": chapter_index,
                "reason": str(exc),
            },
        )


def _with_attempts(info: LlmCallInfo, failed_attempts: int) -> LlmCallInfo:
    return info.model_copy(update={"attempts": info.attempts + failed_attempts})
