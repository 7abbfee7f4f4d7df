"""The start-up check every process runs before any work: a Lambda handler's cold start, ``run``, ``serve``.

``check_configuration`` loads and cross-checks the five config files (``enhancer.config``), then checks
that every model the configuration names has a price: each profile's ``models`` map, and the default model
of the configured provider and fallback provider. A model chosen with ``LLM_MODEL`` is the operator's own
(a local Llama behind an OpenAI-compatible server has no list price): it costs 0 with one warning, as the
README says. Any problem is a ``ConfigError`` naming the file, the field and the reason, so a bad config
stops the process instead of failing each document ``INTERNAL``.

``init_done`` ends a Lambda function's init, which each handler starts with the garbage collector paused.
"""

import gc
from pathlib import Path

from enhancer.config import AppConfig, get_app_config
from enhancer.errors import ConfigError
from enhancer.providers.llm import DEFAULT_MODELS
from enhancer.providers.pricing import PRICING_FILE, PriceTable
from enhancer.settings import LlmSettings


def check_configuration(llm: LlmSettings | None = None, config_dir: Path | None = None) -> AppConfig:
    """The validated config; ``ConfigError`` (file, field, reason) when any part of it is unusable."""
    config = get_app_config(config_dir)
    prices = PriceTable(config.llm_pricing)
    pricing_file = config.directory / PRICING_FILE
    for name, profile in config.extraction_profiles.profiles.items():
        for provider, model in profile.models.items():
            if prices.price(model) is None:
                raise ConfigError(
                    f"{config.directory / 'extraction_profiles.json'}: profiles.{name}.models.{provider}: "
                    f"no price for {model!r} in {pricing_file}; add it there"
                )
    if llm is not None and not llm.model:
        for chosen in (llm.effective_provider(), llm.fallback_provider):
            if chosen is None or chosen == "offline":
                continue
            model = DEFAULT_MODELS[chosen]
            if prices.price(model) is None:
                raise ConfigError(
                    f"{pricing_file}: models: no price for {model!r}, the default {chosen} model; add it "
                    "(or choose a priced model with LLM_MODEL)"
                )
    return config


def init_done() -> None:
    """Resume the garbage collector that the handler paused before its first import, having frozen all that
    init built.

    Init builds almost only what lives as long as the process: modules, classes, pydantic's validators, the
    config, clients. Each collection during it scanned that heap and freed next to nothing; they were about
    40 ms of the api function's 330 ms import under Python 3.12 here (``bench/coldstart.py``). ``gc.freeze``
    moves all of it to the permanent generation, so the invocations' collections do not scan it either.
    """
    gc.freeze()
    gc.enable()
