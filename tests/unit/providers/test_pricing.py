import json
import logging
from pathlib import Path

import pytest

from enhancer.config import LlmPricingConfig, ModelPrice
from enhancer.errors import ConfigError
from enhancer.providers.pricing import PriceTable, TokenUsage, load_price_table


def _table(**models: ModelPrice) -> PriceTable:
    return PriceTable(LlmPricingConfig(as_of="test", models=models))


def test_openai_style_cached_input_is_billed_at_the_cached_price() -> None:
    table = _table(m=ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5))

    cost = table.cost(
        "m", TokenUsage(input_tokens=1_000_000, cached_input_tokens=400_000, output_tokens=250_000)
    )

    assert cost == pytest.approx(0.6 * 2.0 + 0.4 * 0.5 + 0.25 * 8.0)


def test_anthropic_style_cache_writes_and_reads() -> None:
    table = _table(
        m=ModelPrice(
            input_per_mtok=3.0, output_per_mtok=15.0, cached_input_per_mtok=0.3, cache_write_per_mtok=3.75
        )
    )
    usage = TokenUsage(
        input_tokens=3000, cached_input_tokens=1000, cache_write_input_tokens=1500, output_tokens=200
    )

    assert table.cost("m", usage) == pytest.approx((500 * 3.0 + 1000 * 0.3 + 1500 * 3.75 + 200 * 15.0) / 1e6)


def test_dated_and_region_prefixed_ids_find_their_price(config_dir: Path) -> None:
    table = load_price_table(config_dir)

    assert table.price("gpt-4.1-mini-2025-04-14") == table.price("gpt-4.1-mini")
    assert table.price("gpt-4.1-mini") != table.price("gpt-4.1")
    assert table.price("us.anthropic.claude-haiku-4-5-20251001-v1:0") is not None
    assert table.price("claude-haiku-4-5-20251001") == table.price("claude-haiku-4-5")


def test_unknown_model_costs_nothing_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    table = _table(m=ModelPrice(input_per_mtok=1, output_per_mtok=1))
    caplog.set_level(logging.WARNING)

    costs = [table.cost("mystery-model-7", TokenUsage(input_tokens=1000, output_tokens=10)) for _ in range(3)]

    assert costs == [0.0, 0.0, 0.0]
    warnings = [r for r in caplog.records if r.getMessage().startswith("no price for LLM model")]
    assert len(warnings) == 1
    assert getattr(warnings[0], "model", None) == "mystery-model-7"


def test_a_bad_pricing_file_fails_fast_with_file_field_and_reason(tmp_path: Path) -> None:
    (tmp_path / "llm_pricing.json").write_text(
        json.dumps({"as_of": "x", "models": {"m": {"input_per_mtok": -1, "output_per_mtok": 1}}})
    )

    with pytest.raises(ConfigError) as caught:
        load_price_table(tmp_path)

    assert "llm_pricing.json" in str(caught.value)
    assert "models.m.input_per_mtok" in str(caught.value)
    assert "greater than or equal to 0" in str(caught.value)
