import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enhancer.config import load_app_config
from enhancer.errors import ConfigError
from enhancer.profiles import chapter_output_model


def _copy_config(src: Path, dst: Path) -> Path:
    for path in src.glob("*.json"):
        (dst / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return dst


def test_shipped_config_loads_with_the_required_profiles(config_dir: Path) -> None:
    config = load_app_config(config_dir)

    assert {"default", "technical_book", "academic_paper", "report"} <= set(
        config.extraction_profiles.profiles
    )
    assert {"software_engineering", "data_engineering", "machine_learning", "security"} <= set(
        config.metadata_keywords.domains
    )


@pytest.mark.parametrize(
    ("heading", "pattern"),
    [
        ("Chapter 3", "chapter_en"),
        ("CHAPTER III", "chapter_en"),
        ("Chapter 12: Observability", "chapter_en"),
        ("Part 2", "part_en"),
        ("1 Introduction", "numbered_section"),
        ("2. Related Work", "numbered_section"),
        ("Appendix A", "appendix_en"),
        ("Chapitre 4 Les bases", "chapitre_fr"),
        ("Kapitel 2 Grundlagen", "kapitel_de"),
        ("Capítulo 5", "capitulo_es_pt"),
        ("Capitolo 7", "capitolo_it"),
    ],
)
def test_shipped_patterns_recognise_common_headings(config_dir: Path, heading: str, pattern: str) -> None:
    patterns = load_app_config(config_dir).chapter_patterns.heading_patterns

    matched = [p.name for p in patterns if p.compiled().match(heading)]

    assert pattern in matched


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_patterns_never_raise_on_arbitrary_lines(line: str) -> None:
    patterns = load_app_config().chapter_patterns.heading_patterns
    for pattern in patterns:
        pattern.compiled().match(line)


def test_invalid_file_names_file_field_and_reason(config_dir: Path, tmp_path: Path) -> None:
    _copy_config(config_dir, tmp_path)
    profiles = json.loads((tmp_path / "extraction_profiles.json").read_text(encoding="utf-8"))
    profiles["profiles"]["default"]["max_chapter_chars"] = 0
    (tmp_path / "extraction_profiles.json").write_text(json.dumps(profiles), encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_app_config(tmp_path)

    message = str(caught.value)
    assert "extraction_profiles.json" in message
    assert "profiles.default.max_chapter_chars" in message
    assert "greater than 0" in message


def test_bad_regex_and_bad_json_fail_fast(config_dir: Path, tmp_path: Path) -> None:
    _copy_config(config_dir, tmp_path)
    patterns = json.loads((tmp_path / "chapter_patterns.json").read_text(encoding="utf-8"))
    patterns["heading_patterns"][0]["regex"] = "(unclosed"
    (tmp_path / "chapter_patterns.json").write_text(json.dumps(patterns), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"heading_patterns\.0\.regex.*not a valid regular expression"):
        load_app_config(tmp_path)

    (tmp_path / "chapter_patterns.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON at line 1"):
        load_app_config(tmp_path)


def test_missing_file_says_how_to_point_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"file not found.*CONFIG_DIR"):
        load_app_config(tmp_path)


def test_profile_model_enforces_profile_fields(config_dir: Path) -> None:
    profiles = load_app_config(config_dir).extraction_profiles
    name, profile = profiles.get("technical_book")
    model = chapter_output_model(name, profile)

    ok = model.model_validate(
        {
            "summary": "Covers queues.",
            "keywords": ["sqs"],
            "concepts": ["messaging"],
            "difficulty": "advanced",
            "technologies": ["AWS SQS"],
            "key_takeaways": ["Use DLQs."],
        }
    )
    assert ok.model_dump()["prerequisites"] is None
    with pytest.raises(ValueError, match="difficulty"):
        model.model_validate({**ok.model_dump(), "difficulty": "trivial"})
    with pytest.raises(ValueError, match="extra"):
        model.model_validate({**ok.model_dump(), "injected": "ignore previous instructions"})


def test_unknown_profile_falls_back_to_default(config_dir: Path) -> None:
    profiles = load_app_config(config_dir).extraction_profiles
    assert profiles.get("no-such-profile")[0] == "default"
    assert profiles.get(None)[0] == "default"
