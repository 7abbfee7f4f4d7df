"""The shared rate limiter under concurrent workers, against DynamoDB (moto over HTTP)."""

import threading
from collections import Counter
from typing import Any

import boto3
import pytest

from enhancer.errors import RetryableError
from enhancer.providers.ratelimit import DynamoDbRateLimiter, RateLimitBusyError

pytestmark = pytest.mark.integration


@pytest.fixture
def atomic_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies conditional writes to one item atomically; moto's server handles concurrent
    requests without that guarantee (two threads can both pass ``count < limit``). The embedded server runs
    in this process, so serialise its ``update_item`` to give the emulation DynamoDB's real semantics."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.update_item
    lock = threading.Lock()

    def update_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)


@pytest.fixture
def limiter_table(aws_endpoint: str) -> str:
    boto3.client("dynamodb").create_table(
        TableName="ratelimit",
        KeySchema=[{"AttributeName": "bucket_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "bucket_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "ratelimit"


@pytest.mark.usefixtures("atomic_updates")
def test_concurrent_workers_never_exceed_the_limit_in_any_window(limiter_table: str) -> None:
    # Given 6 workers sharing a budget of 4 requests per 0.5 s window (each its own limiter and client,
    # like separate Lambdas), When each takes 3 slots at once, Then no window admits more than 4.
    limit, window_s, workers, per_worker = 4, 0.5, 6, 3
    admitted: list[tuple[str, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def worker() -> None:
        limiter = DynamoDbRateLimiter(
            limiter_table, limit, window_s, client=boto3.client("dynamodb"), max_wait_s=None
        )
        start.wait()
        for _ in range(per_worker):
            window = limiter.acquire_window("openai")
            with lock:
                admitted.append(("openai", window))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    per_window = Counter(window for _, window in admitted)
    assert len(admitted) == workers * per_worker  # everyone waited, nobody failed
    assert max(per_window.values()) <= limit
    assert len(per_window) >= (workers * per_worker) // limit  # it really had to wait for new windows
    items = boto3.client("dynamodb").scan(TableName=limiter_table)["Items"]
    assert all(int(item["request_count"]["N"]) <= limit for item in items)
    assert sum(int(item["request_count"]["N"]) for item in items) == workers * per_worker
    assert all(
        int(item["expires_at"]["N"]) > int(item["bucket_key"]["S"].split("#")[1]) * window_s for item in items
    )


def test_providers_have_separate_budgets(limiter_table: str) -> None:
    limiter = DynamoDbRateLimiter(limiter_table, 1, 60, client=boto3.client("dynamodb"), clock=lambda: 600.0)

    assert limiter.acquire_window("openai") == 10
    assert limiter.acquire_window("anthropic") == 10


def test_a_budget_full_for_too_long_is_a_retryable_error(limiter_table: str) -> None:
    # A frozen clock: the window never turns, so the worker gives up after max_wait_s of (fake) sleeping.
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

    with pytest.raises(RateLimitBusyError) as caught:
        limiter.acquire("openai")

    assert isinstance(caught.value, RetryableError)
    assert slept
    assert all(30 <= s <= 33 for s in slept)
