import subprocess
import sys
from pathlib import Path

import pytest

from enhancer.config import AppConfig
from enhancer.providers.cache import CachingProvider, FileResponseCache
from enhancer.providers.factory import build_provider
from enhancer.providers.openai_provider import OpenAIProvider
from enhancer.providers.resilience import FallbackProvider
from enhancer.settings import LlmSettings


def test_importing_the_factory_imports_no_llm_sdk() -> None:
    code = (
        "import sys, enhancer.providers.factory; "
        "print(sorted(m for m in ('openai', 'anthropic', 'boto3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_offline_is_the_default(app_config: AppConfig) -> None:
    provider = build_provider(LlmSettings(), config=app_config)

    assert provider.name == "offline"


def test_composition_cache_then_fallback_then_primary(
    app_config: AppConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_FALLBACK_PROVIDER", "offline")
    monkeypatch.setenv("LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    provider = build_provider(LlmSettings(), config=app_config, local_cache_dir=tmp_path)

    assert isinstance(provider, CachingProvider)
    assert isinstance(provider.cache, FileResponseCache)
    assert provider.cache.directory == tmp_path
    assert isinstance(provider.inner, FallbackProvider)
    primary = provider.inner.primary
    assert isinstance(primary, OpenAIProvider)
    assert primary.default_model == "gpt-4o-mini"
    assert provider.inner.fallback.name == "offline"
    assert primary.budget.policy.max_attempts == 3
    assert primary.budget.policy.backoff_base_s == 1.0


def test_cache_disabled_means_no_cache_layer(app_config: AppConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "bedrock")
    monkeypatch.setenv("CACHE_ENABLED", "false")

    provider = build_provider(LlmSettings(), config=app_config)

    assert provider.name == "bedrock"
    assert not isinstance(provider, CachingProvider)
