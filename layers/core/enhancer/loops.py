"""Running work beside the calling thread: synchronous entry points over asyncio, safe in a thread whose
event loop is already running, and independent network calls on a few threads."""

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
# Below botocore's default connection pool of 10 per client, so no call waits for a connection.
IO_THREADS = 8


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


def thread_map(function: Callable[[T], R], items: Iterable[T], *, max_workers: int = IO_THREADS) -> list[R]:
    """``[function(item) for item in items]`` on up to ``max_workers`` threads: for independent network
    calls, such as the S3 objects of one document, that would otherwise wait one after another.

    Results come in the items' order. Each call runs in a copy of the caller's context variables, so the
    invocation's deadline and, in the local runtime, its IAM role apply to it as to the caller. Every call
    ends before the first error (in the items' order) is raised.
    """
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="io") as pool:
        futures = [pool.submit(contextvars.copy_context().run, function, item) for item in items]
    return [future.result() for future in futures]
