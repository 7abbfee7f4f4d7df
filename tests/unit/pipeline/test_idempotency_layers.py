"""The idempotency persistence layers: one per step and endpoint in a process, however many threads ask."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from enhancer.pipeline.idempotency import _persistence, clear_idempotency_cache


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    clear_idempotency_cache()


def test_a_batch_of_threads_builds_one_layer_per_step() -> None:
    # The records of an enrich batch start together, each on its own thread.
    start = threading.Barrier(16, timeout=10)

    def layer(step: str) -> object:
        start.wait()
        return _persistence("idempotency", step)

    with ThreadPoolExecutor(max_workers=16) as pool:
        layers = list(pool.map(layer, ["enrich"] * 12 + ["extract"] * 4))

    assert len({id(x) for x in layers[:12]}) == 1
    assert len({id(x) for x in layers[12:]}) == 1
    assert layers[0] is not layers[12]


def test_a_new_endpoint_or_a_cleared_cache_gets_a_new_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _persistence("idempotency", "enrich")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    moved = _persistence("idempotency", "enrich")
    assert moved is not first
    assert moved.client.meta.endpoint_url == "http://127.0.0.1:2"
    clear_idempotency_cache()
    assert _persistence("idempotency", "enrich") is not moved
