"""thread_map: independent calls on a few threads, with the caller's context, results in order."""

import contextvars
import threading
import time

import pytest

from enhancer.loops import thread_map

ROLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("role", default=None)


def test_results_come_in_the_items_order_whichever_call_ends_first() -> None:
    def slow_first(n: int) -> int:
        time.sleep(0.05 if n == 0 else 0)
        return n * n

    assert thread_map(slow_first, range(6)) == [0, 1, 4, 9, 16, 25]


def test_each_call_sees_the_callers_context_variables() -> None:
    token = ROLE.set("extract")
    try:
        seen = thread_map(lambda _: (ROLE.get(), threading.current_thread().name), range(4))
    finally:
        ROLE.reset(token)
    assert {role for role, _ in seen} == {"extract"}
    assert all(name.startswith("io") for _, name in seen)


def test_every_call_ends_before_the_first_error_is_raised() -> None:
    ended: list[int] = []

    def call(n: int) -> int:
        if n == 1:
            raise ValueError("item 1")
        time.sleep(0.02)
        ended.append(n)
        return n

    with pytest.raises(ValueError, match="item 1"):
        thread_map(call, range(5))
    assert sorted(ended) == [0, 2, 3, 4]
