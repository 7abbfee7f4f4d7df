"""The invocation's deadline, for code far from the handler (the LLM retry loop) that must not outlive it.

``invocation_deadline(context)`` sets it from ``get_remaining_time_in_millis()`` for the block (per thread
and task: a context variable), ``remaining_s()`` reads it; outside an invocation there is no deadline.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("invocation_deadline", default=None)


@contextmanager
def invocation_deadline(context: Any) -> Iterator[None]:
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    budget_s = remaining_ms() / 1000 if callable(remaining_ms) else None
    token = _deadline.set(None if budget_s is None else (time.monotonic() + budget_s, budget_s))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_s() -> float:
    """Seconds left in the current invocation (infinite outside one)."""
    current = _deadline.get()
    return float("inf") if current is None else current[0] - time.monotonic()


def budget_s() -> float:
    """What the invocation had left when the block began (infinite outside one)."""
    current = _deadline.get()
    return float("inf") if current is None else current[1]
