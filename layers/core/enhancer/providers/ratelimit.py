"""The request budget per provider (``RATE_LIMIT`` requests a minute), shared by every worker.

Both limiters are GCRA (the generic cell rate algorithm, a token bucket of depth one): a budget of
``limit`` per ``window_s`` is a slot every ``interval_s = window_s * (1 + headroom) / limit`` seconds, and
the only state is the *next free slot* (the theoretical arrival time). A request takes the next free slot
— now if the budget is idle — moves it one interval on, and sleeps until its slot. Slots are therefore at
least one interval apart, so no window of any length ``w`` holds more than ``ceil(w / interval_s)``
requests: a window of ``window_s`` never holds more than ``limit``, whatever the phase (a fixed window
lets up to twice the limit through across its boundary; a provider counting in sliding windows answers
that with 429s). The pace is even, as providers that enforce a per-minute limit in shorter periods want.

``headroom`` (1 % of the window by default: 0.6 s a minute) is the slack for what lies between the
slots and the provider's own clock, and costs ~1 % of the limit. Half of it, ``late_s``, bounds how late
a request may leave after its slot: a worker that wakes later than that (a busy CPU, a slow write) gives
the slot up and books the next one (twice at most, then it goes late and logs a warning), so requests
leave at least ``interval_s - late_s`` apart and any ``limit + 1`` of them span more than
``window_s + late_s``. The other half covers network jitter between two requests and clock skew between
workers: while those stay under ``late_s``, the provider sees at most ``limit`` requests in any window of
``window_s``.

On AWS many enrich Lambdas run at once, so the slot lives in DynamoDB: one item per provider
(pk ``bucket_key``), attribute ``next_slot_at`` (epoch seconds), moved on by one conditional
``UpdateItem`` per request. While the budget is booked ahead, every worker adds one interval
(``SET next_slot_at = next_slot_at + :interval`` if ``next_slot_at BETWEEN :now AND :now + max_wait``,
returning the new value): DynamoDB applies the writes to one item one at a time, so each worker gets its
own slot and concurrent adds never fail against each other. When the budget is idle (``next_slot_at <
:now``, or no item) the slot is now, and of the workers that find it idle at once only the first write
passes; the others learn the booked slot from the failure (``ReturnValuesOnConditionCheckFailure``) and
add to it. Each process remembers whether its last booking left the budget busy, so a request costs one
write unless the budget changed between busy and idle meanwhile. A budget booked beyond ``max_wait_s``
fails the add without booking anything and raises ``RateLimitBusyError``. Items carry ``expires_at`` past
any slot they can hold, so DynamoDB's TTL sweeps idle budgets. Without a table (a laptop run) the same
algorithm runs in-process for the threads of one process.
"""

import threading
import time
from collections.abc import Callable
from decimal import ROUND_UP, Decimal
from functools import lru_cache
from typing import Any, Protocol

from enhancer.errors import RetryableError
from enhancer.models import ErrorCode
from enhancer.observability import logger

SLOT_ATTRIBUTE = "next_slot_at"
DEFAULT_HEADROOM = 0.01
MAX_BOOKINGS = 3
_MICROSECOND = Decimal("0.000001")


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Block until one request for ``key`` fits the budget."""
        ...


class RateLimitBusyError(RetryableError):
    """The budget is booked for longer than a worker may wait: let SQS redeliver the chapter later.

    Not a provider outage, so the fallback provider does not take over."""

    code = ErrorCode.LLM_UNAVAILABLE


def slot_interval(limit: int, window_s: float, headroom: float = DEFAULT_HEADROOM) -> float:
    """Seconds between two slots of a budget of ``limit`` per ``window_s``."""
    if limit < 1 or window_s <= 0 or headroom < 0:
        raise ValueError("limit must be at least 1, window_s positive and headroom not negative")
    return window_s * (1 + headroom) / limit


def _busy(key: str, limit: int, window_s: float, wait_s: float) -> RateLimitBusyError:
    return RateLimitBusyError(
        f"rate limit for {key} ({limit} per {window_s:g} s) is booked {wait_s:.0f} s ahead"
    )


def _too_late(key: str, late_s: float, allowed_s: float, attempt: int) -> bool:
    """Whether to give the slot up and book another: woken more than ``allowed_s`` after it, unless this was
    the last booking a request may make (a CPU so busy that every wake-up is late must not livelock)."""
    if late_s <= allowed_s:
        return False
    if attempt < MAX_BOOKINGS:
        logger.debug("rate limit: woke too late for the slot, booking another", extra={"key": key})
        return True
    logger.warning(
        "rate limit: woke late for the slot again, sending late", extra={"key": key, "late_s": late_s}
    )
    return False


class LocalRateLimiter:
    """GCRA per key, for the threads of one process."""

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        *,
        headroom: float = DEFAULT_HEADROOM,
        max_wait_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.interval_s = slot_interval(limit, window_s, headroom)
        self.late_s = window_s * headroom / 2
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def acquire(self, key: str) -> None:
        self.acquire_slot(key)

    def acquire_slot(self, key: str) -> float:
        """Take the next free slot for ``key`` and sleep until it; returns the slot (clock time)."""
        for attempt in range(1, MAX_BOOKINGS + 1):
            with self._lock:
                now = self._clock()
                slot = max(self._next_slot.get(key, now), now)
                if self.max_wait_s is not None and slot - now > self.max_wait_s:
                    raise _busy(key, self.limit, self.window_s, slot - now)
                self._next_slot[key] = slot + self.interval_s
            if slot > now:
                self._sleep(slot - now)
            if not _too_late(key, self._clock() - slot, self.late_s, attempt):
                break
        return slot


@lru_cache(maxsize=16)
def shared_local_limiter(limit: int, window_s: float = 60.0) -> LocalRateLimiter:
    """One in-process limiter per budget, so every provider built in this process shares it."""
    return LocalRateLimiter(limit, window_s)


class DynamoDbRateLimiter:
    """GCRA with the next free slot in the rate-limit table (pk ``bucket_key``, TTL ``expires_at``)."""

    def __init__(
        self,
        table_name: str,
        limit: int,
        window_s: float = 60.0,
        *,
        client: Any = None,
        headroom: float = DEFAULT_HEADROOM,
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
        self._interval = Decimal(repr(slot_interval(limit, window_s, headroom))).quantize(
            _MICROSECOND, ROUND_UP
        )
        self.interval_s = float(self._interval)
        self.late_s = window_s * headroom / 2
        self.max_wait_s = max_wait_s
        self.writes = 0
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_next_slot: dict[str, Decimal] = {}

    def acquire(self, key: str) -> None:
        self.acquire_slot(key)

    def acquire_slot(self, key: str) -> float:
        """Book the next free slot for ``key`` and sleep until it; returns the slot (epoch seconds)."""
        for attempt in range(1, MAX_BOOKINGS + 1):
            with self._lock:
                now = self._clock()
                slot = float(self._book(key, Decimal(repr(now)).quantize(_MICROSECOND)))
            if slot > now:
                self._sleep(slot - now)
            if not _too_late(key, self._clock() - slot, self.late_s, attempt):
                break
        return slot

    def _book(self, key: str, now: Decimal) -> Decimal:
        """One write when the guess (busy or idle, from the last slot this process booked) is right."""
        latest = None if self.max_wait_s is None else now + Decimal(repr(self.max_wait_s))
        last = self._last_next_slot.get(key)
        busy = last is not None and last >= now
        while True:
            if busy:
                # Booked ahead: everyone adds one interval to the shared slot; DynamoDB serialises the adds,
                # so each gets its own slot, and no add can fail against another.
                booked, value = self._write(
                    key,
                    "SET #slot = #slot + :interval, expires_at = :expires",
                    "#slot BETWEEN :now AND :latest" if latest is not None else "#slot >= :now",
                    {
                        ":interval": self._interval,
                        ":now": now,
                        **({} if latest is None else {":latest": latest}),
                    },
                    now=now,
                )
                if booked and value is not None:
                    self._last_next_slot[key] = value
                    return value - self._interval
                if value is not None and latest is not None and value > latest:
                    raise _busy(key, self.limit, self.window_s, float(value - now))
            else:
                # Idle: the slot is now; only one of the workers that find it idle at once gets it.
                booked, value = self._write(
                    key,
                    "SET #slot = :next, expires_at = :expires",
                    "attribute_not_exists(#slot) OR #slot < :now",
                    {":next": now + self._interval, ":now": now},
                    now=now,
                )
                if booked:
                    self._last_next_slot[key] = now + self._interval
                    return now
            busy = value is not None and value >= now

    def _write(
        self, key: str, update: str, condition: str, values: dict[str, Decimal], *, now: Decimal
    ) -> tuple[bool, Decimal | None]:
        """(True, the new next slot) when the condition held, else (False, the next slot the item holds, or
        None when there is none)."""
        from botocore.exceptions import ClientError

        self.writes += 1
        # Past any slot this write can book (at most max_wait_s ahead), so TTL only sweeps idle budgets.
        horizon = (self.max_wait_s or 3600.0) + self.interval_s + self.window_s + 60
        attribute_values = {name: {"N": str(value)} for name, value in values.items()}
        attribute_values[":expires"] = {"N": str(int(now) + int(horizon) + 1)}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key={"bucket_key": {"S": key}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#slot": SLOT_ATTRIBUTE},
                ExpressionAttributeValues=attribute_values,
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item: dict[str, Any] = exc.response.get("Item") or {}  # type: ignore[assignment]
            current = item.get(SLOT_ATTRIBUTE, {}).get("N")
            return False, None if current is None else Decimal(current)
        return True, Decimal(response["Attributes"][SLOT_ATTRIBUTE]["N"])
