"""The request budget per provider (``RATE_LIMIT`` requests a minute), shared by every worker.

On AWS many enrich Lambdas run at once, so the count lives in DynamoDB: one item per provider and fixed
window (``openai#28745312``), incremented with a conditional ``UpdateItem ADD`` that fails once the window
is full; the worker then sleeps until the next window instead of failing. Items carry ``expires_at`` so
DynamoDB's TTL sweeps old windows. Without a table (a laptop run) an in-process sliding log does the same
for the threads of one process.

A fixed window admits at most ``limit`` requests per window; like every fixed window it can admit up to
twice that across a window boundary, which the providers' own per-minute limits tolerate.
"""

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from enhancer.errors import RetryableError
from enhancer.models import ErrorCode
from enhancer.observability import logger

COUNT_ATTRIBUTE = "request_count"


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until one request for ``key`` fits the budget."""
        ...


class RateLimitBusyError(RetryableError):
    """The budget stayed full for longer than a worker may wait: let SQS redeliver the chapter later.

    Not a provider outage, so the fallback provider does not take over."""

    code = ErrorCode.LLM_UNAVAILABLE


class LocalRateLimiter:
    """Sliding log per key, for the threads of one process."""

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._admitted: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                log = self._admitted.setdefault(key, deque())
                while log and log[0] <= now - self.window_s:
                    log.popleft()
                if len(log) < self.limit:
                    log.append(now)
                    return
                wait = log[0] + self.window_s - now
            self._sleep(max(wait, 0.001))


@lru_cache(maxsize=16)
def shared_local_limiter(limit: int, window_s: float = 60.0) -> LocalRateLimiter:
    """One in-process limiter per budget, so every provider built in this process shares it."""
    return LocalRateLimiter(limit, window_s)


class DynamoDbRateLimiter:
    """Fixed-window counters in the rate-limit table (pk ``bucket_key``, TTL ``expires_at``)."""

    def __init__(
        self,
        table_name: str,
        limit: int,
        window_s: float = 60.0,
        *,
        client: Any = None,
        max_wait_s: float | None = 90.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self.table_name = table_name
        self.limit = limit
        self.window_s = window_s
        self.max_wait_s = max_wait_s
        self._client = client
        self._clock = clock
        self._sleep = sleep

    def acquire(self, key: str) -> None:
        self.acquire_window(key)

    def acquire_window(self, key: str) -> int:
        """Take one slot; returns the window it was admitted to (for tests and logs)."""
        waited = 0.0
        while True:
            now = self._clock()
            window = int(now // self.window_s)
            if self._try_take(key, window, now):
                if waited:
                    logger.info("rate limit: admitted after waiting", extra={"key": key, "waited_s": waited})
                return window
            # Spread the wake-ups a little so a full fleet does not stampede the next window.
            wait = (window + 1) * self.window_s - now + random.uniform(0, self.window_s * 0.05)
            if self.max_wait_s is not None and waited + wait > self.max_wait_s:
                budget = f"{self.limit} per {self.window_s:g} s"
                raise RateLimitBusyError(f"rate limit for {key} ({budget}) stayed full for {waited:.0f} s")
            self._sleep(wait)
            waited += wait

    def _try_take(self, key: str, window: int, now: float) -> bool:
        from botocore.exceptions import ClientError

        expires_at = int((window + 2) * self.window_s) + 60
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"bucket_key": {"S": f"{key}#{window}"}},
                UpdateExpression="ADD #count :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                ExpressionAttributeNames={"#count": COUNT_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(self.limit)},
                    ":expires": {"N": str(expires_at)},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
