"""The in-process limiter (GCRA) on a fake clock, and the fake LLM's sliding-window limit."""

import pytest

from enhancer.fakellm import FakeLlmServer, FaultPlan
from enhancer.providers.ratelimit import LocalRateLimiter, RateLimitBusyError, slot_interval


class FakeTime:
    def __init__(self, now: float = 100.0, oversleep: float = 0.0) -> None:
        self.now, self.oversleep = now, oversleep
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds + self.oversleep


def max_in_window(times: list[float], window_s: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window_s) for start in times)


def test_slots_are_one_interval_apart_so_no_window_holds_more_than_the_limit() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(3, 10.0, clock=fake.clock, sleep=fake.sleep)

    slots = [limiter.acquire_slot("openai") for _ in range(10)]

    interval = slot_interval(3, 10.0)
    assert interval == pytest.approx(10.1 / 3)
    assert slots == pytest.approx([100 + i * interval for i in range(10)])
    assert max_in_window(slots, 10.0) == 3


def test_an_idle_budget_admits_at_once_and_keys_are_separate() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(3, 10.0, clock=fake.clock, sleep=fake.sleep)

    limiter.acquire("openai")
    limiter.acquire("anthropic")
    fake.now += 60
    limiter.acquire("openai")

    assert fake.slept == []


def test_a_late_wake_up_books_the_next_slot_instead_of_bunching() -> None:
    # Every sleep overshoots by 1 s, more than late_s (0.05 s): the worker gives its slot up twice, then
    # goes late rather than never.
    fake = FakeTime(oversleep=1.0)
    limiter = LocalRateLimiter(1, 10.0, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire("openai")

    slot = limiter.acquire_slot("openai")

    assert len(fake.slept) == 3
    assert slot == pytest.approx(130.3)  # slots 110.1 and 120.2 were given up
    assert fake.now - slot == pytest.approx(1.0)


def test_a_budget_booked_beyond_max_wait_is_busy() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(1, 60.0, max_wait_s=100, clock=lambda: 100.0, sleep=fake.sleep)
    limiter.acquire("openai")
    limiter.acquire("openai")

    with pytest.raises(RateLimitBusyError):
        limiter.acquire("openai")
    assert fake.slept == pytest.approx([60.6])


def test_the_fake_llm_answers_429_beyond_its_sliding_window() -> None:
    import urllib.error
    import urllib.request

    with FakeLlmServer(plan=FaultPlan(rate_limit=2, rate_window_s=60)) as llm:

        def post() -> tuple[int, str | None]:
            request = urllib.request.Request(
                f"{llm.openai_base_url}/chat/completions",
                data=b'{"model": "fake", "messages": [{"role": "user", "content": "ping"}]}',
                headers={"content-type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, None
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers.get("retry-after")

        answers = [post() for _ in range(3)]

    assert [status for status, _ in answers] == [200, 200, 429]
    retry_after = answers[2][1]
    assert retry_after is not None
    assert 0 < float(retry_after) <= 60
    assert llm.stats()["by_action"] == {"ok": 2, "429": 1}
