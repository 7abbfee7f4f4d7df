"""The rules that catch what the first offline provider got wrong: repeated sentences, cut summaries,
duplicate keywords and topics."""

from typing import Any

from enhancer.config import ValidationRulesConfig, get_app_config
from enhancer.pipeline.validation import duplicate_items, repeated_sentence, truncation, validate_result


def _rules(*rules: dict[str, Any]) -> ValidationRulesConfig:
    return ValidationRulesConfig.model_validate({"rules": list(rules)})


def test_repeated_sentences_are_found_whatever_their_case_and_spacing() -> None:
    assert (
        repeated_sentence("Revenue grew. Costs fell. revenue  grew!")
        == "repeats the sentence 'revenue  grew!'"
    )
    assert repeated_sentence("Revenue grew. Costs fell.") is None


def test_a_summary_cut_at_either_end_is_truncated() -> None:
    assert truncation("Revenue grew steadily, driven mainly by customers") is not None
    assert truncation("board recommends continued investment.") is not None
    assert truncation("The opening words of a table …") is not None
    assert truncation("The board recommends continued investment.") is None
    assert truncation("3 regions were added (two in Europe).") is None


def test_duplicate_items_by_case_stem_and_optionally_containment() -> None:
    assert duplicate_items(["Security", "security"], containment=False) is not None
    assert duplicate_items(["pods", "Pod"], containment=False) is not None
    assert duplicate_items(["managed data", "managed data services"], containment=False) is None
    assert duplicate_items(["managed data", "managed data services"], containment=True) is not None
    assert duplicate_items(["data pipeline", "pipeline data"], containment=True) is None


def test_the_repository_rules_flag_the_old_offline_output_as_warnings(config_dir: Any) -> None:
    rules = get_app_config(config_dir).validation_rules
    result = {
        "pdf": {"page_count": 2},
        "document": {
            "title": "Annual Operations Report",
            "summary": "Revenue grew steadily. Revenue grew steadily. Driven mainly by customers",
            "keywords": ["grew", "managed data", "managed data services"],
            "topics": ["Security", "security"],
            "language": "en",
        },
        "chapters": [
            {
                "index": 0,
                "title": "Pages 1-2",
                "start_page": 1,
                "end_page": 2,
                "detected_by": "fallback",
                "status": "COMPLETED",
                "metadata": {
                    "summary": "board recommends continued investment in automation.",
                    "keywords": ["managed data", "Managed data services"],
                    "concepts": ["Security", "security"],
                },
            }
        ],
    }

    report = validate_result(result, "default", rules)

    found = {(i.rule, i.path) for i in report.issues}
    assert {
        ("document-summary-unique-sentences", "document.summary"),
        ("document-summary-complete", "document.summary"),
        ("document-topics-unique", "document.topics"),
        ("chapter-summary-complete", "chapters[0].metadata.summary"),
        ("chapter-keywords-unique", "chapters[0].metadata.keywords"),
        ("chapter-concepts-unique", "chapters[0].metadata.concepts"),
    } <= found
    assert all(i.severity == "warning" for i in report.issues if "unique" in i.rule or "complete" in i.rule)
    assert report.passed  # warnings: a provider's style never fails a document


def test_rules_skip_values_of_the_wrong_shape() -> None:
    rules = _rules(
        {"name": "u", "type": "unique_items", "path": "document.keywords"},
        {"name": "s", "type": "unique_sentences", "path": "document.summary"},
        {"name": "c", "type": "complete_sentences", "path": "document.summary"},
    )
    report = validate_result({"document": {"keywords": "not a list", "summary": ["x"]}}, "default", rules)
    assert report.issues == []


def _tiny_document(text_chars: int, summary: str) -> dict[str, Any]:
    return {
        "pdf": {"page_count": 1, "text_chars": text_chars},
        "document": {"title": "pp owner password r2", "summary": summary, "keywords": ["pdf encryption"]},
        "chapters": [
            {
                "index": 0,
                "title": "Page 1",
                "start_page": 1,
                "end_page": 1,
                "detected_by": "fallback",
                "char_count": text_chars,
                "status": "COMPLETED",
                "metadata": {"summary": summary, "keywords": ["pdf encryption"], "concepts": []},
            }
        ],
    }


def test_a_one_line_document_is_not_held_to_the_rules_for_real_chapters(config_dir: Any) -> None:
    # Given the corpus' one-line encrypted samples: 38 characters of text, "pdf encryption test" as summary
    rules = get_app_config(config_dir).validation_rules

    report = validate_result(_tiny_document(38, "pdf encryption test"), "default", rules)

    # Then neither its summary's length, its missing full stop nor an undetectable language is an issue
    assert report.passed
    rules_hit = {i.rule for i in report.issues}
    assert not rules_hit & {
        "document-summary-length",
        "chapter-summary-length",
        "document-summary-complete",
        "chapter-summary-complete",
        "document-language",
    }


def test_the_same_summary_of_a_real_chapter_fails_validation(config_dir: Any) -> None:
    rules = get_app_config(config_dir).validation_rules

    report = validate_result(_tiny_document(5_000, "pdf encryption test"), "default", rules)

    assert not report.passed
    found = {(i.rule, i.path) for i in report.issues}
    assert ("document-summary-length", "document.summary") in found
    assert ("chapter-summary-complete", "chapters[0].metadata.summary") in found
    assert ("document-language", "document.language") in found


def test_a_short_source_waives_only_a_range_rules_minimum() -> None:
    rules = _rules(
        {
            "name": "len",
            "type": "length",
            "path": "chapters[*].metadata.summary",
            "min": 20,
            "max": 30,
            "min_source_chars": 200,
        },
        {"name": "cut", "type": "complete_sentences", "path": "document.summary", "min_source_chars": 200},
    )
    document = _tiny_document(38, "short")
    document["chapters"].append({**document["chapters"][0], "index": 1, "char_count": 500})
    document["chapters"].append({**document["chapters"][0], "index": 2, "metadata": {"summary": "x" * 31}})

    report = validate_result(document, "default", rules)

    assert [(i.rule, i.path, i.message) for i in report.issues] == [
        ("len", "chapters[1].metadata.summary", "5 characters, fewer than 20"),  # its chapter is long
        ("len", "chapters[2].metadata.summary", "31 characters, more than 30"),  # max holds on a short one
    ]


def test_a_result_that_does_not_say_how_much_text_there_was_is_checked() -> None:
    rules = _rules(
        {"name": "len", "type": "length", "path": "document.summary", "min": 20, "min_source_chars": 200}
    )

    report = validate_result({"document": {"summary": "short"}}, "default", rules)

    assert [i.rule for i in report.issues] == ["len"]
