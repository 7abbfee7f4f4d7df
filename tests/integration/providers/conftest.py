"""The fake LLM server (one per session, reset per test) and providers built on the fast budget."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from enhancer.config import AppConfig, load_app_config
from enhancer.fakellm import FakeLlmServer, FaultPlan
from enhancer.observability import metrics
from enhancer.providers.base import EnrichmentRequest
from enhancer.providers.pricing import PriceTable, load_price_table
from enhancer.providers.ratelimit import LocalRateLimiter
from enhancer.providers.resilience import CallBudget, RetryPolicy

CHAPTER_TEXT = (
    "Kubernetes schedules containers onto nodes. A Deployment keeps a set of Pods running and replaces "
    "them when they fail. Services give Pods a stable network identity, and Ingress routes HTTP traffic "
    "into the cluster. Helm packages these manifests so a team can install and upgrade an application "
    "with one command. Kubernetes controllers reconcile the desired state with the observed state."
)


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeLlmServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLlmServer]:
    """A clean fake (no faults, no script), and the SDKs' own env vars pointing at it."""
    fake_llm_server.configure(FaultPlan(retry_after_s=0.2, timeout_s=1.0))
    fake_llm_server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm_server.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_llm_server.anthropic_base_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake_llm_server.bedrock_endpoint_url)
    metrics.clear_metrics()
    yield fake_llm_server
    fake_llm_server.reset()
    metrics.clear_metrics()


@pytest.fixture(scope="session")
def app_config(config_dir: Path) -> AppConfig:
    return load_app_config(config_dir)


@pytest.fixture(scope="session")
def prices(config_dir: Path) -> PriceTable:
    return load_price_table(config_dir)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def budget(sleeps: list[float]) -> Callable[[str], CallBudget]:
    """A budget with the production policy shape but tiny backoff; sleeps are recorded, not slept long."""
    import time

    def _sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 0.01))

    def _make(provider: str) -> CallBudget:
        return CallBudget(
            provider=provider,
            limiter=LocalRateLimiter(1000),
            policy=RetryPolicy(max_attempts=3, backoff_base_s=0.001),
            sleep=_sleep,
        )

    return _make


@pytest.fixture
def chapter(app_config: AppConfig) -> Callable[..., EnrichmentRequest]:
    def _make(
        profile_name: str = "technical_book", text: str = CHAPTER_TEXT, **extra: Any
    ) -> EnrichmentRequest:
        name, profile = app_config.extraction_profiles.get(profile_name)
        values: dict[str, Any] = {
            "document_id": "d" * 32,
            "chapter_index": 0,
            "chapter_title": "Orchestration",
            "text": text,
            "profile_name": name,
            "profile": profile,
        }
        values.update(extra)
        return EnrichmentRequest(**values)

    return _make


@pytest.fixture
def metric_total() -> Callable[[str], float]:
    """The sum of a metric's values recorded since the test began (Powertools keeps them in memory)."""

    def _total(name: str) -> float:
        entry = metrics.metric_set.get(name)
        return float(sum(entry["Value"])) if entry else 0.0

    return _total
