import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from enhancer.errors import PermanentError, RetryableError
from enhancer.models import ErrorCode
from enhancer.observability import metrics
from enhancer.providers.ratelimit import RateLimitBusyError
from enhancer.providers.resilience import (
    CallBudget,
    FallbackProvider,
    LlmCallError,
    ProviderRejectedError,
    ProviderUnavailableError,
    RetryPolicy,
    classify_status,
    parse_retry_after,
)


class _Limiter:
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, key: str) -> None:
        self.acquired += 1


def _budget(sleeps: list[float], limiter: _Limiter | None = None, attempts: int = 3) -> CallBudget:
    return CallBudget(
        provider="openai",
        limiter=limiter or _Limiter(),
        policy=RetryPolicy(max_attempts=attempts, backoff_base_s=1.0),
        sleep=sleeps.append,
    )


def _failing(*errors: Exception, result: str = "ok"):
    queue = list(errors)

    def send() -> str:
        if queue:
            raise queue.pop(0)
        return result

    return send


def test_backoff_is_exponential_with_jitter_and_retry_after_wins() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_base_s=1.0, backoff_max_s=20)

    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 20.0)):
        delays = {policy.delay(attempt, None) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(1, retry_after_s=7) == 7
    assert policy.delay(1, retry_after_s=10_000) == 60  # a server may not park us for hours


def test_every_attempt_passes_the_limiter_and_is_counted() -> None:
    sleeps: list[float] = []
    limiter = _Limiter()
    metrics.clear_metrics()
    send = _failing(
        LlmCallError("429", retryable=True, throttled=True, retry_after_s=3),
        LlmCallError("500", retryable=True),
    )

    result, attempts = _budget(sleeps, limiter).call(send)

    assert (result, attempts, limiter.acquired) == ("ok", 3, 3)
    assert sleeps[0] == 3
    assert 1 <= sleeps[1] <= 2
    assert sum(metrics.metric_set["LLMCalls"]["Value"]) == 3
    assert sum(metrics.metric_set["LLMErrors"]["Value"]) == 2
    assert sum(metrics.metric_set["LLMThrottles"]["Value"]) == 1
    metrics.clear_metrics()


def test_exhaustion_is_retryable_llm_unavailable_and_refusal_is_permanent() -> None:
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailableError) as exhausted:
        _budget(sleeps).call(_failing(*(LlmCallError("boom", retryable=True) for _ in range(3))))
    assert isinstance(exhausted.value, RetryableError)
    assert exhausted.value.attempts == 3
    assert exhausted.value.code == ErrorCode.LLM_UNAVAILABLE

    with pytest.raises(ProviderRejectedError) as rejected:
        _budget(sleeps).call(_failing(LlmCallError("HTTP 401", retryable=False, status=401)))
    assert isinstance(rejected.value, PermanentError)
    assert rejected.value.attempts == 1
    assert len(sleeps) == 2  # no sleep before giving up on a 401


@pytest.mark.parametrize(
    ("status", "retryable", "throttled"),
    [(429, True, True), (500, True, False), (529, True, False), (408, True, False), (400, False, False),
     (401, False, False), (404, False, False)],
)  # fmt: skip
def test_status_classification(status: int, retryable: bool, throttled: bool) -> None:
    error = classify_status(status, {"retry-after": "2"}, "x")

    assert (error.retryable, error.throttled) == (retryable, throttled)
    assert error.retry_after_s == 2


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_fallback_serves_the_chapter_when_the_primary_is_out(scripted, chapter) -> None:
    primary = scripted("openai", [ProviderUnavailableError("openai unavailable", attempts=3)])
    provider = FallbackProvider(primary, scripted("offline"))

    outcome = provider.enrich_chapter(chapter())

    assert outcome.llm.provider == "offline"
    assert outcome.llm.attempts == 4
    assert provider.enrich_chapter(chapter()).llm.provider == "openai"


def test_fallback_does_not_hide_invalid_output_or_our_own_rate_limit(scripted, chapter) -> None:
    invalid = PermanentError("bad output", code=ErrorCode.INVALID_LLM_OUTPUT)
    busy = RateLimitBusyError("full")
    primary = scripted("openai", [invalid, busy])
    fallback = scripted("offline")
    provider = FallbackProvider(primary, fallback)

    with pytest.raises(PermanentError):
        provider.enrich_chapter(chapter())
    with pytest.raises(RateLimitBusyError):
        provider.enrich_chapter(chapter())
    assert fallback.calls == 0


class _Context:
    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def test_a_retry_that_would_not_fit_in_the_invocation_is_not_started() -> None:
    from enhancer.deadline import invocation_deadline

    sleeps: list[float] = []
    budget = _budget(sleeps)
    throttled = LlmCallError("HTTP 429", retryable=True, throttled=True, retry_after_s=30)
    # Given an invocation with 40 s left and a server that asks us to come back in 30 s
    with invocation_deadline(_Context(40)), pytest.raises(ProviderUnavailableError) as raised:
        budget.call(_failing(throttled, throttled))
    # Then the loop gives up at once instead of sleeping past the Lambda timeout
    assert sleeps == []
    assert raised.value.attempts == 1


def test_requests_of_earlier_receives_count_against_the_chapters_budget() -> None:
    from enhancer.providers.resilience import RequestBudgetSpentError, requests_already_sent

    sleeps: list[float] = []
    limiter = _Limiter()
    budget = _budget(sleeps, limiter, attempts=3)
    error = LlmCallError("HTTP 500", retryable=True, status=500)
    with requests_already_sent(2), pytest.raises(RequestBudgetSpentError) as raised:
        budget.call(_failing(error, error, error))
    assert (raised.value.attempts, limiter.acquired) == (1, 1)
    with requests_already_sent(3), pytest.raises(RequestBudgetSpentError):
        budget.call(_failing(error))
    assert limiter.acquired == 1  # nothing sent at all


def _slotted(slots: threading.BoundedSemaphore, sleep: Callable[[float], None]) -> CallBudget:
    return CallBudget(
        provider="openai",
        limiter=_Limiter(),
        policy=RetryPolicy(max_attempts=3, backoff_base_s=0.0, min_time_to_retry_s=35),
        in_flight=slots,
        sleep=sleep,
    )


def test_no_more_requests_are_in_flight_than_the_slots() -> None:
    slots = threading.BoundedSemaphore(2)
    budget = _slotted(slots, time.sleep)
    pair = threading.Barrier(2, timeout=10)  # two requests must be able to be in flight together
    lock = threading.Lock()
    in_flight = peak = 0

    def send() -> str:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            pair.wait()
            return "ok"
        finally:
            with lock:
                in_flight -= 1

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: budget.call(send), range(6)))

    assert results == [("ok", 1)] * 6
    assert peak == 2


def test_a_request_waiting_to_retry_gives_its_slot_to_another() -> None:
    slots = threading.BoundedSemaphore(1)
    free_while_waiting: list[bool] = []

    def sleep(_: float) -> None:
        got = slots.acquire(blocking=False)
        free_while_waiting.append(got)
        if got:
            slots.release()

    result = _slotted(slots, sleep).call(_failing(LlmCallError("HTTP 503", retryable=True, status=503)))

    assert result == ("ok", 2)
    assert free_while_waiting == [True]


def test_no_free_slot_before_the_deadline_sends_the_chapter_back() -> None:
    from enhancer.deadline import invocation_deadline

    slots = threading.BoundedSemaphore(1)
    budget = _slotted(slots, time.sleep)
    sent: list[str] = []
    slots.acquire()  # another chapter's request holds the only slot
    # Given an invocation with 35.2 s left, of which a request needs 35
    with invocation_deadline(_Context(35.2)), pytest.raises(ProviderUnavailableError) as raised:
        budget.call(lambda: sent.append("sent") or "ok")
    slots.release()
    # Then nothing is sent and SQS gets the chapter back with no request spent
    assert (sent, raised.value.attempts) == ([], 0)
    assert raised.value.code == ErrorCode.LLM_UNAVAILABLE
