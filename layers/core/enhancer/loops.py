"""Synchronous entry points over asyncio, safe in a thread whose event loop is already running."""

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def outside_running_loop(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``function(*args, **kwargs)``, on this thread when it has no running event loop, else on a fresh
    thread (with this thread's context variables) that waits for it.

    Powertools' async batch processor starts its own loop (``asyncio.run``, or ``run_until_complete`` on
    Lambda), which raises in a thread whose loop is running: a handler called from async code, a notebook,
    a test process that holds Playwright's sync API. Waiting blocks that loop for the batch, as any
    synchronous call from it would."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outside-loop") as thread:
        call = functools.partial(function, *args, **kwargs)
        return thread.submit(context.run, call).result()
