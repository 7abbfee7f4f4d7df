"""``build_provider`` end to end: real SDK → fake LLM, cache and rate limit in DynamoDB (moto over HTTP),
fallback to the offline provider, keys from Secrets Manager, and no key ever in a log line."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from enhancer.config import AppConfig
from enhancer.fakellm import FakeLlmServer
from enhancer.providers.base import EnrichmentRequest
from enhancer.providers.factory import build_provider
from enhancer.resources import table
from enhancer.settings import LlmSettings

pytestmark = pytest.mark.integration

SECRET_KEY = "sk-proj-THIS-MUST-NEVER-BE-LOGGED-1234567890"


@pytest.fixture
def tables(aws_endpoint: str) -> dict[str, Any]:
    client = boto3.client("dynamodb")
    names: dict[str, Any] = {}
    for key in ("cache", "ratelimit"):
        spec = table(key)
        name = f"test-{key}"
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": spec.partition_key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": spec.partition_key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        names[key] = name
    return {"client": client, **names}


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> LlmSettings:
    base = {"LLM_MAX_ATTEMPTS": "3", "LLM_BACKOFF_BASE": "0.001", "LLM_TIMEOUT": "2"}
    for name, value in {**base, **env}.items():
        monkeypatch.setenv(name, value)
    return LlmSettings()


def test_second_upload_of_the_same_chapter_is_a_cache_hit(
    monkeypatch: pytest.MonkeyPatch,
    fake_llm: FakeLlmServer,
    tables: dict[str, Any],
    app_config: AppConfig,
    chapter: Callable[..., EnrichmentRequest],
    metric_total: Callable[[str], float],
) -> None:
    settings = _settings(monkeypatch, LLM_PROVIDER="openai", OPENAI_API_KEY="sk-test")
    provider = build_provider(
        settings,
        config=app_config,
        cache_table=tables["cache"],
        rate_limit_table=tables["ratelimit"],
        dynamodb_client=tables["client"],
    )

    first = provider.enrich_chapter(chapter(document_id="a" * 32))
    again = provider.enrich_chapter(chapter(document_id="b" * 32, chapter_index=7))

    assert fake_llm.request_count == 1
    assert first.llm.cached is False
    assert first.llm.estimated_cost_usd > 0
    assert again.llm.cached is True
    assert (again.llm.input_tokens, again.llm.output_tokens, again.llm.estimated_cost_usd) == (0, 0, 0.0)
    assert again.llm.provider == "openai"
    assert again.llm.model == first.llm.model
    assert again.metadata == first.metadata
    assert metric_total("CacheHits") == 1
    # The shared limiter booked a slot for the one real request; the cache item carries its TTL.
    budgets = tables["client"].scan(TableName=tables["ratelimit"])["Items"]
    assert [(b["bucket_key"]["S"], float(b["next_slot_at"]["N"]) > 0) for b in budgets] == [("openai", True)]
    cached = tables["client"].scan(TableName=tables["cache"])["Items"]
    assert len(cached) == 1
    assert int(cached[0]["expires_at"]["N"]) > 0


def test_outage_falls_back_to_offline_and_is_not_cached(
    monkeypatch: pytest.MonkeyPatch,
    fake_llm: FakeLlmServer,
    app_config: AppConfig,
    tmp_path: Path,
    chapter: Callable[..., EnrichmentRequest],
) -> None:
    settings = _settings(
        monkeypatch, LLM_PROVIDER="openai", LLM_FALLBACK_PROVIDER="offline", OPENAI_API_KEY="sk-test"
    )
    provider = build_provider(settings, config=app_config, local_cache_dir=tmp_path)
    fake_llm.script("500", "500", "500")

    outcome = provider.enrich_chapter(chapter())
    recovered = provider.enrich_chapter(chapter())

    assert outcome.llm.provider == "offline"
    assert outcome.llm.attempts == 4  # three to OpenAI, one offline
    assert outcome.metadata.summary
    assert recovered.llm.provider == "openai"
    assert recovered.llm.cached is False
    assert fake_llm.request_count == 4


def test_keys_come_from_secrets_manager(
    monkeypatch: pytest.MonkeyPatch,
    fake_llm: FakeLlmServer,
    aws_endpoint: str,
    app_config: AppConfig,
    tmp_path: Path,
    chapter: Callable[..., EnrichmentRequest],
) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="llm-keys", SecretString=json.dumps({"OPENAI_API_KEY": "sk-from-secret"})
    )
    settings = _settings(
        monkeypatch, LLM_PROVIDER="openai", LLM_API_KEYS_SECRET="llm-keys", CACHE_ENABLED="false"
    )

    provider = build_provider(settings, config=app_config)
    outcome = provider.enrich_chapter(chapter())

    assert outcome.llm.provider == "openai"
    assert provider._client.api_key == "sk-from-secret"  # type: ignore[attr-defined]


def test_no_key_means_the_offline_provider(
    monkeypatch: pytest.MonkeyPatch, app_config: AppConfig, chapter: Callable[..., EnrichmentRequest]
) -> None:
    settings = _settings(monkeypatch, LLM_PROVIDER="anthropic")

    provider = build_provider(settings, config=app_config)

    assert provider.name == "offline"
    assert provider.enrich_chapter(chapter()).llm.provider == "offline"


def test_no_api_key_in_any_log_line_or_error(
    monkeypatch: pytest.MonkeyPatch,
    fake_llm: FakeLlmServer,
    app_config: AppConfig,
    tmp_path: Path,
    chapter: Callable[..., EnrichmentRequest],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    caplog.set_level("DEBUG")
    errors: list[str] = []
    for name, key_env in (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")):
        settings = _settings(monkeypatch, LLM_PROVIDER=name, **{key_env: SECRET_KEY})
        provider = build_provider(settings, config=app_config, local_cache_dir=tmp_path / name)
        # Retries, re-asks and a final failure: every code path that logs or raises.
        fake_llm.script("429", "invalid_json", "500", "500", "500")
        try:
            provider.enrich_chapter(chapter())
        except Exception as exc:
            errors.append(f"{exc!r} {exc} {exc.__cause__!r}")

    out, err = capfd.readouterr()
    # Every record with all its extra fields, as the JSON formatter would see them.
    records = "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert "LLM request failed, retrying" in records
    assert "HTTP 429" in records
    assert "does not fit the schema" in records
    assert errors, "the final failure must surface"
    for text in (out, err, records, *errors):
        assert SECRET_KEY not in text
        assert SECRET_KEY[-10:] not in text
    for recorded in fake_llm.requests:  # Authorization went out with every request; the fake kept none
        assert SECRET_KEY not in json.dumps(recorded.headers)
