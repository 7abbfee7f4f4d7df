"""A config is validated as a whole at start-up: cross-field rules, rule paths, encodings, prices for the
configured models. Each bad config stops the process with the file, the field and the reason."""

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enhancer.config import get_app_config, load_app_config
from enhancer.errors import ConfigError
from enhancer.local.functions import FUNCTIONS_DIR
from enhancer.settings import LlmSettings
from enhancer.startup import check_configuration

Edit = Callable[[str, Callable[[Any], None]], None]


@pytest.fixture
def config_copy(config_dir: Path, tmp_path: Path) -> Path:
    for path in config_dir.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    get_app_config.cache_clear()
    return tmp_path


def _edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _fails(directory: Path, *parts: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_app_config(directory)
    message = str(caught.value)
    for part in parts:
        assert part in message
    return message


def test_min_chapter_chars_above_max_chapter_chars_is_refused(config_copy: Path) -> None:
    def change(d: Any) -> None:
        d["profiles"]["report"].update(min_chapter_chars=5000, max_chapter_chars=1000)

    _edit(config_copy, "extraction_profiles.json", change)

    _fails(
        config_copy,
        "extraction_profiles.json",
        "profiles.report",
        "min_chapter_chars (5000) is greater than max_chapter_chars (1000)",
    )


def test_field_and_rule_ranges_are_checked(config_copy: Path) -> None:
    def items(d: Any) -> None:
        d["profiles"]["technical_book"]["chapter_fields"]["technologies"].update(min_items=9, max_items=2)

    _edit(config_copy, "extraction_profiles.json", items)
    _fails(config_copy, "profiles.technical_book.chapter_fields.technologies", "min_items (9)")


@pytest.mark.parametrize(
    "path",
    [
        "chapters[0].title",
        "chapters..title",
        "chapters[*]metadata",
        "",
        "document title",
        "chapterz[*].title",
    ],
)
def test_a_malformed_rule_path_fails_the_load_not_every_document(config_copy: Path, path: str) -> None:
    _edit(config_copy, "validation_rules.json", lambda d: d["rules"][0].update(path=path))

    _fails(config_copy, "validation_rules.json", "rules.0", "path")


def test_a_rule_for_an_unknown_profile_is_refused(config_copy: Path) -> None:
    _edit(config_copy, "validation_rules.json", lambda d: d["rules"][0].update(profiles=["tech_book"]))

    _fails(config_copy, "validation_rules.json", "rules.0.profiles", "unknown profile 'tech_book'")


def test_a_broken_pricing_file_is_caught_at_load_whatever_the_provider(config_copy: Path) -> None:
    # Before, only a paid provider read it, and every document then failed INTERNAL.
    _edit(config_copy, "llm_pricing.json", lambda d: d["models"]["gpt-4.1"].update(input_per_mtok="cheap"))
    _fails(config_copy, "llm_pricing.json", "models.gpt-4.1.input_per_mtok")

    (config_copy / "llm_pricing.json").write_text('{"models": {', encoding="utf-8")
    _fails(config_copy, "llm_pricing.json", "not valid JSON")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_file_names_the_file_and_the_encoding(config_copy: Path, encoding: str) -> None:
    path = config_copy / "metadata_keywords.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    message = _fails(config_copy, "metadata_keywords.json", "save it as UTF-8")
    assert "UTF-16" in message or "UTF-32" in message


def test_a_latin1_file_names_the_file_and_the_byte(config_copy: Path) -> None:
    path = config_copy / "chapter_patterns.json"
    text = path.read_text(encoding="utf-8").replace(
        '"toc_markers": [', '"toc_markers": ["table des matières", ', 1
    )
    path.write_bytes(text.encode("latin-1"))

    _fails(config_copy, "chapter_patterns.json", "not UTF-8", "byte 0xe8")


def test_a_utf8_byte_order_mark_is_accepted(config_copy: Path) -> None:
    path = config_copy / "chapter_patterns.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    assert load_app_config(config_copy).chapter_patterns.heading_patterns


def test_profile_models_must_name_a_provider_and_have_a_price(config_copy: Path) -> None:
    _edit(
        config_copy,
        "extraction_profiles.json",
        lambda d: d["profiles"]["report"].update(models={"opnai": "x"}),
    )
    _fails(config_copy, "profiles.report.models", "'opnai' is not a provider")

    _edit(
        config_copy,
        "extraction_profiles.json",
        lambda d: d["profiles"]["report"].update(models={"openai": "gpt-9-turbo"}),
    )
    with pytest.raises(ConfigError) as caught:
        check_configuration(LlmSettings(), config_copy)
    assert "extraction_profiles.json: profiles.report.models.openai: no price for 'gpt-9-turbo'" in str(
        caught.value
    )


def test_the_default_model_of_the_configured_provider_needs_a_price(config_copy: Path) -> None:
    _edit(config_copy, "llm_pricing.json", lambda d: d["models"].pop("claude-haiku-4-5"))

    check_configuration(LlmSettings(LLM_PROVIDER="openai"), config_copy)  # anthropic unused: fine
    with pytest.raises(ConfigError, match=r"llm_pricing.json: models: no price for 'claude-haiku-4-5'"):
        check_configuration(LlmSettings(LLM_PROVIDER="anthropic"), config_copy)
    with pytest.raises(ConfigError, match="default anthropic model"):
        check_configuration(
            LlmSettings(LLM_PROVIDER="openai", LLM_FALLBACK_PROVIDER="anthropic"), config_copy
        )
    # LLM_MODEL is the operator's own choice (a local model has no list price): it costs 0 with a warning
    check_configuration(LlmSettings(LLM_PROVIDER="anthropic", LLM_MODEL="my-local-llama"), config_copy)


def test_the_shipped_config_passes_for_every_provider(config_dir: Path) -> None:
    for provider in ("offline", "openai", "anthropic", "bedrock"):
        check_configuration(LlmSettings(LLM_PROVIDER=provider), config_dir)


@pytest.mark.parametrize("function_dir", ["extract", "extract_pages", "enrich", "validate", "api"])
def test_a_handler_cold_start_stops_on_a_bad_config(
    config_copy: Path, function_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def change(d: Any) -> None:
        d["profiles"]["default"]["min_chapter_chars"] = 10**9

    _edit(config_copy, "extraction_profiles.json", change)
    monkeypatch.setenv("CONFIG_DIR", str(config_copy))
    spec = importlib.util.spec_from_file_location(
        f"cold_start_{function_dir}", FUNCTIONS_DIR / function_dir / "handler.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)

    with pytest.raises(ConfigError, match=r"extraction_profiles.json: profiles.default: .*min_chapter_chars"):
        spec.loader.exec_module(module)
    get_app_config.cache_clear()
