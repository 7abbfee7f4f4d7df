"""What a call cost, from ``config/llm_pricing.json`` (USD per 1M tokens, per model).

Unknown models cost 0 and are reported once per process with a warning, so a new model id never breaks a
run but never silently hides its cost either.
"""

import threading
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from enhancer.config import LlmPricingConfig, ModelPrice, default_config_dir, load_config_file
from enhancer.observability import logger

PRICING_FILE = "llm_pricing.json"
# Bedrock cross-region inference profiles prefix the model id: us.anthropic.claude-…
_REGION_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "global.", "us-gov.")

_warned: set[str] = set()
_warned_lock = threading.Lock()


class TokenUsage(BaseModel):
    """Normalised usage of one or more calls: ``input_tokens`` includes cached and cache-write tokens."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cached_input_tokens: int = Field(default=0, ge=0, description="read from the provider's prompt cache")
    cache_write_input_tokens: int = Field(default=0, ge=0, description="written to the prompt cache")

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cache_write_input_tokens=self.cache_write_input_tokens + other.cache_write_input_tokens,
        )


class PriceTable:
    def __init__(self, config: LlmPricingConfig) -> None:
        self._models = config.models

    def price(self, model: str) -> ModelPrice | None:
        """Exact id, then without a Bedrock region prefix, then the longest listed prefix (dated ids)."""
        candidates = [model]
        for prefix in _REGION_PREFIXES:
            if model.startswith(prefix):
                candidates.append(model.removeprefix(prefix))
        for candidate in candidates:
            if candidate in self._models:
                return self._models[candidate]
        for candidate in candidates:
            best = max(
                (name for name in self._models if candidate.startswith(name + "-")), key=len, default=None
            )
            if best is not None:
                return self._models[best]
        return None

    def cost(self, model: str, usage: TokenUsage) -> float:
        """USD for ``usage`` on ``model``; 0 (with one warning per model) when the model is not listed."""
        price = self.price(model)
        if price is None:
            with _warned_lock:
                first = model not in _warned
                _warned.add(model)
            if first:
                logger.warning(
                    "no price for LLM model; its cost is reported as 0",
                    extra={"model": model, "pricing_file": PRICING_FILE},
                )
            return 0.0
        cached = usage.cached_input_tokens
        written = usage.cache_write_input_tokens
        fresh = max(usage.input_tokens - cached - written, 0)
        cached_price = (
            price.cached_input_per_mtok if price.cached_input_per_mtok is not None else price.input_per_mtok
        )
        write_price = (
            price.cache_write_per_mtok if price.cache_write_per_mtok is not None else price.input_per_mtok
        )
        total = (
            fresh * price.input_per_mtok
            + cached * cached_price
            + written * write_price
            + usage.output_tokens * price.output_per_mtok
        ) / 1_000_000
        return round(total, 8)


def load_price_table(config_dir: Path | None = None) -> PriceTable:
    """Fails fast (``ConfigError`` naming file, field and reason) on a bad pricing file."""
    directory = config_dir or default_config_dir()
    return PriceTable(load_config_file(directory / PRICING_FILE, LlmPricingConfig))


@lru_cache(maxsize=8)
def get_price_table(config_dir: Path | None = None) -> PriceTable:
    return load_price_table(config_dir)
