"""``build_provider``: the one entry point the enrich and validate handlers use.

Composition, outermost first::

    CachingProvider          a hit answers with 0 tokens, 0 cost; stores only the primary's answers
      └ FallbackProvider     LLM_FALLBACK_PROVIDER (e.g. offline) when the primary is out
          └ primary          OpenAI | Anthropic | Bedrock; every HTTP request (re-asks included) passes its
                             CallBudget: shared rate limit (DynamoDB or in-process) → up to LLM_MAX_ATTEMPTS
                             attempts with exponential backoff, jitter and retry-after

With no ``LLM_PROVIDER`` (or ``offline``), or no key for the chosen provider, it is the offline provider
alone: free and deterministic, so no cache, limiter or fallback. SDKs are imported only when their provider
is built; importing this module imports none of them.
"""

from pathlib import Path
from typing import Any

from enhancer.config import AppConfig
from enhancer.observability import logger
from enhancer.providers.base import EnrichmentProvider
from enhancer.providers.cache import (
    DEFAULT_LOCAL_CACHE_DIR,
    CachingProvider,
    DynamoDbResponseCache,
    FileResponseCache,
)
from enhancer.providers.llm import StructuredLlmProvider
from enhancer.providers.pricing import get_price_table
from enhancer.providers.ratelimit import DynamoDbRateLimiter, RateLimiter, shared_local_limiter
from enhancer.providers.resilience import CallBudget, FallbackProvider, RetryPolicy, request_slots
from enhancer.providers.secrets import api_key_for
from enhancer.settings import LlmSettings, ProviderName

RATE_WINDOW_S = 60.0


def build_provider(
    settings: LlmSettings,
    *,
    config: AppConfig,
    cache_table: str | None = None,
    rate_limit_table: str | None = None,
    local_cache_dir: Path | None = None,
    dynamodb_client: Any = None,
) -> EnrichmentProvider:
    """The configured provider with its cache, fallback, rate limit and retries (see the module doc)."""
    name = settings.effective_provider()
    if name == "offline":
        return _offline(config)
    limiter = _limiter(settings, rate_limit_table, dynamodb_client)
    primary = _remote(name, settings, config, limiter, model=settings.model)
    if primary is None:
        logger.warning(
            "no API key for the LLM provider; using the offline provider",
            extra={"provider": name, "key": _key_name(name)},
        )
        return _offline(config)
    provider: EnrichmentProvider = primary
    fallback_name = settings.fallback_provider
    if fallback_name and fallback_name != name:
        fallback = (
            _offline(config)
            if fallback_name == "offline"
            else _remote(fallback_name, settings, config, limiter, model=None)
        )
        if fallback is None:
            logger.warning(
                "no API key for the fallback provider; running without one", extra={"provider": fallback_name}
            )
        else:
            provider = FallbackProvider(primary, fallback)
    if settings.cache_enabled:
        cache: DynamoDbResponseCache | FileResponseCache
        if cache_table:
            cache = DynamoDbResponseCache(cache_table, client=dynamodb_client)
        else:
            cache = FileResponseCache(local_cache_dir or DEFAULT_LOCAL_CACHE_DIR)
        provider = CachingProvider(
            provider, cache, provider=primary.name, model_for=primary.model_for, ttl_s=settings.cache_ttl_s
        )
    logger.info(
        "LLM provider ready",
        extra={
            "provider": primary.name,
            "model": primary.default_model,
            "fallback_provider": fallback_name,
            "cache": "dynamodb" if cache_table else ("file" if settings.cache_enabled else "off"),
            "rate_limit": "dynamodb" if rate_limit_table else "in-process",
        },
    )
    return provider


def _limiter(settings: LlmSettings, rate_limit_table: str | None, dynamodb_client: Any) -> RateLimiter:
    if rate_limit_table:
        return DynamoDbRateLimiter(
            rate_limit_table, settings.rate_limit_per_minute, RATE_WINDOW_S, client=dynamodb_client
        )
    return shared_local_limiter(settings.rate_limit_per_minute, RATE_WINDOW_S)


def _remote(
    name: ProviderName, settings: LlmSettings, config: AppConfig, limiter: RateLimiter, *, model: str | None
) -> StructuredLlmProvider | None:
    budget = CallBudget(
        provider=name,
        limiter=limiter,
        in_flight=request_slots(settings.max_workers),
        policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_base_s=settings.backoff_base_s,
            min_time_to_retry_s=settings.timeout_s + 5,
        ),
    )
    prices = get_price_table(config.directory)
    if name == "bedrock":
        from enhancer.providers.bedrock_provider import BedrockProvider

        return BedrockProvider(model=model, budget=budget, prices=prices, timeout_s=settings.timeout_s)
    if name == "openai":
        key = api_key_for("openai", settings)
        if not key:
            return None
        from enhancer.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(
            api_key=key, model=model, budget=budget, prices=prices, timeout_s=settings.timeout_s
        )
    if name == "anthropic":
        key = api_key_for("anthropic", settings)
        if not key:
            return None
        from enhancer.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            api_key=key, model=model, budget=budget, prices=prices, timeout_s=settings.timeout_s
        )
    return None


def _offline(config: AppConfig) -> EnrichmentProvider:
    from enhancer.providers.offline import OfflineProvider

    return OfflineProvider(config.metadata_keywords)


def _key_name(name: str) -> str:
    return {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(name, "")
