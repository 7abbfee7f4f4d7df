"""The shared rate limiter (GCRA, the next free slot in DynamoDB) against moto over HTTP, whose writes the
emulation serialises as DynamoDB does (``serialise_dynamodb_writes``)."""

import itertools
import threading
from decimal import Decimal
from typing import Any

import boto3
import pytest

from enhancer.errors import RetryableError
from enhancer.providers.ratelimit import SLOT_ATTRIBUTE, DynamoDbRateLimiter, RateLimitBusyError

pytestmark = pytest.mark.integration


@pytest.fixture
def limiter_table(aws_endpoint: str) -> str:
    boto3.client("dynamodb").create_table(
        TableName="ratelimit",
        KeySchema=[{"AttributeName": "bucket_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "bucket_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "ratelimit"


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _item(table: str, key: str) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(
        TableName=table, Key={"bucket_key": {"S": key}}, ConsistentRead=True
    )["Item"]


def test_concurrent_workers_get_distinct_slots_one_interval_apart(limiter_table: str) -> None:
    # Given 6 workers sharing a budget of 4 requests per 0.5 s (each its own limiter and client, like
    # separate Lambdas), When each takes 3 slots at once, Then every slot is its own, at least one interval
    # after the one before, so no 0.5 s window holds more than 4.
    limit, window_s, workers, per_worker = 4, 0.5, 6, 3
    slots: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)
    limiters: list[DynamoDbRateLimiter] = []

    def worker() -> None:
        limiter = DynamoDbRateLimiter(
            limiter_table, limit, window_s, client=boto3.client("dynamodb"), max_wait_s=None
        )
        limiters.append(limiter)
        start.wait()
        for _ in range(per_worker):
            slot = limiter.acquire_slot("openai")
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    interval = limiters[0].interval_s
    slots.sort()
    assert len(slots) == workers * per_worker  # everyone waited, nobody failed
    assert all(later - earlier >= interval - 1e-6 for earlier, later in itertools.pairwise(slots))
    assert all(sum(1 for s in slots if t <= s < t + window_s) <= limit for t in slots)
    item = _item(limiter_table, "openai")
    next_slot = float(item[SLOT_ATTRIBUTE]["N"])
    assert next_slot >= slots[-1] + interval - 1e-6
    assert int(item["expires_at"]["N"]) > next_slot + window_s


def test_an_uncontended_worker_writes_once_per_request(limiter_table: str) -> None:
    fake = FakeTime(1000.0)
    limiter = DynamoDbRateLimiter(
        limiter_table, 2, 60, client=boto3.client("dynamodb"), clock=fake.clock, sleep=fake.sleep
    )

    slots = [limiter.acquire_slot("openai") for _ in range(4)]
    fake.now += 3600  # idle for an hour: the next request goes at once
    idle = limiter.acquire_slot("openai")

    assert slots == pytest.approx([1000.0, 1030.3, 1060.6, 1090.9])
    assert fake.slept == pytest.approx([30.3, 30.3, 30.3])
    assert idle == pytest.approx(1000.0 + 90.9 + 3600)
    assert limiter.writes == 5


def test_a_second_worker_learns_the_booked_slot_from_the_failed_write(limiter_table: str) -> None:
    fake = FakeTime(500.0)
    first, second = (
        DynamoDbRateLimiter(
            limiter_table, 1, 10, client=boto3.client("dynamodb"), clock=fake.clock, sleep=fake.sleep
        )
        for _ in range(2)
    )

    assert first.acquire_slot("openai") == pytest.approx(500.0)
    # Believing the budget idle, the second worker's first write fails; the failure carries the booked slot.
    assert second.acquire_slot("openai") == pytest.approx(510.1)
    assert (first.writes, second.writes) == (1, 2)
    assert Decimal(_item(limiter_table, "openai")[SLOT_ATTRIBUTE]["N"]) == Decimal("520.2")


def test_providers_have_separate_budgets(limiter_table: str) -> None:
    fake = FakeTime(600.0)
    limiter = DynamoDbRateLimiter(
        limiter_table, 1, 60, client=boto3.client("dynamodb"), clock=fake.clock, sleep=fake.sleep
    )

    assert limiter.acquire_slot("openai") == 600.0
    assert limiter.acquire_slot("anthropic") == 600.0
    assert fake.slept == []


def test_a_budget_booked_too_far_ahead_is_a_retryable_error(limiter_table: str) -> None:
    # A frozen clock: slots are booked one interval (60.6 s) apart and never come closer, so the third
    # request would wait 121 s, beyond max_wait_s, and gives up without booking.
    slept: list[float] = []
    limiter = DynamoDbRateLimiter(
        limiter_table,
        1,
        60,
        client=boto3.client("dynamodb"),
        max_wait_s=100,
        clock=lambda: 30.0,
        sleep=slept.append,
    )
    limiter.acquire("openai")
    limiter.acquire("openai")

    with pytest.raises(RateLimitBusyError) as caught:
        limiter.acquire("openai")

    assert isinstance(caught.value, RetryableError)
    assert slept == pytest.approx([60.6])
    assert Decimal(_item(limiter_table, "openai")[SLOT_ATTRIBUTE]["N"]) == Decimal("151.2")
