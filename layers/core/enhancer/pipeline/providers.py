"""The one place the enrich and validate handlers get their provider from: the LLM factory (OpenAI,
Anthropic, Bedrock or offline, with cache, shared rate limit, retries and fallback) behind the same
``EnrichmentProvider`` protocol.
"""

import threading
import time

from enhancer.config import AppConfig
from enhancer.models.result import OFFLINE_PROVIDER
from enhancer.providers.base import EnrichmentProvider
from enhancer.providers.factory import build_provider
from enhancer.providers.secrets import SECRET_MAX_AGE_S
from enhancer.settings import Settings, get_settings


def provider_for(settings: Settings, config: AppConfig) -> EnrichmentProvider:
    """A local cache directory wins over the cache table: moto's tables die with the run, files don't."""
    local_cache_dir = settings.llm.cache_dir
    return build_provider(
        settings.llm,
        config=config,
        cache_table=None if local_cache_dir else settings.storage.cache_table or None,
        rate_limit_table=settings.storage.rate_limit_table or None,
        local_cache_dir=local_cache_dir,
    )


_lock = threading.Lock()
_providers: dict[int, tuple[AppConfig, EnrichmentProvider, float]] = {}


def current_provider(config: AppConfig) -> EnrichmentProvider:
    """The handlers' provider, built once per process and config (configs are not hashable: keyed by id).

    A provider that had to fall back to offline because its key was missing is built again once the
    secret's cache has expired, so a key put into the secret after the deploy reaches warm containers too
    (not only new ones)."""
    settings = get_settings()
    with _lock:
        cached = _providers.get(id(config))
        if cached is None or cached[0] is not config or _key_may_have_arrived(settings, cached):
            cached = (config, provider_for(settings, config), time.monotonic())
            _providers[id(config)] = cached
        return cached[1]


def clear_provider_cache() -> None:
    """Drop the built providers (their SDK clients and connections), e.g. after a SnapStart restore."""
    with _lock:
        _providers.clear()


def _key_may_have_arrived(settings: Settings, cached: tuple[AppConfig, EnrichmentProvider, float]) -> bool:
    wanted = settings.llm.effective_provider()
    degraded = wanted != OFFLINE_PROVIDER and cached[1].name == OFFLINE_PROVIDER
    return degraded and time.monotonic() - cached[2] >= SECRET_MAX_AGE_S
