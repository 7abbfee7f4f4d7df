from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from enhancer.config import ValidationRulesConfig, get_app_config
from enhancer.pipeline.validation import resolve, tiling_problem, validate_result


def _rules(*rules: dict[str, Any], fail_on: str = "error") -> ValidationRulesConfig:
    return ValidationRulesConfig.model_validate({"rules": list(rules), "fail_on": fail_on})


def _chapter(index: int, start: int, end: int, title: str = "", status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "index": index,
        "title": title or f"Chapter {index + 1}",
        "start_page": start,
        "end_page": end,
        "detected_by": "outline",
        "status": status,
        "metadata": {"summary": "A summary that is long enough to pass.", "keywords": ["k"]}
        if status == "COMPLETED"
        else None,
    }


def _result(chapters: list[dict[str, Any]], page_count: int, **document: Any) -> dict[str, Any]:
    return {
        "pdf": {"page_count": page_count},
        "document": {"title": "T", "summary": "x" * 40, "keywords": ["a"], "language": "en", **document},
        "chapters": chapters,
    }


def test_resolve_iterates_lists_and_reports_missing_values() -> None:
    doc = {"chapters": [{"title": "a"}, {"title": None}, {}]}

    found = list(resolve(doc, "chapters[*].title"))

    assert [(f.path, f.present) for f in found] == [
        ("chapters[0].title", True),
        ("chapters[1].title", False),
        ("chapters[2].title", False),
    ]


def test_the_repository_rules_pass_a_good_result(config_dir: Any) -> None:
    rules = get_app_config(config_dir).validation_rules
    report = validate_result(_result([_chapter(0, 1, 3), _chapter(1, 4, 9)], 9), "default", rules)
    assert report.passed, report.issues


def test_required_and_length_rules_fail_on_error_only() -> None:
    rules = _rules(
        {"name": "title", "type": "required", "path": "document.title"},
        {"name": "summary", "type": "length", "path": "document.summary", "min": 100, "severity": "warning"},
    )

    report = validate_result(_result([], 1, title=" "), "default", rules)

    assert not report.passed
    assert {(i.rule, i.severity) for i in report.issues} == {("title", "error"), ("summary", "warning")}


def test_a_warning_fails_only_when_fail_on_is_warning() -> None:
    rule = {"name": "kw", "type": "count", "path": "document.keywords", "min": 5, "severity": "warning"}
    doc = _result([], 1)
    assert validate_result(doc, "default", _rules(rule)).passed
    assert not validate_result(doc, "default", _rules(rule, fail_on="warning")).passed


def test_profiles_restrict_a_rule() -> None:
    rule = {
        "name": "difficulty",
        "type": "allowed_values",
        "path": "chapters[*].metadata.difficulty",
        "values": ["beginner"],
        "profiles": ["technical_book"],
    }
    chapter = _chapter(0, 1, 1)
    chapter["metadata"]["difficulty"] = "expert"
    doc = _result([chapter], 1)
    assert validate_result(doc, "default", _rules(rule)).passed
    report = validate_result(doc, "technical_book", _rules(rule))
    assert not report.passed
    assert report.issues[0].path == "chapters[0].metadata.difficulty"


def test_failed_chapters_are_not_checked_below_metadata() -> None:
    rule = {"name": "summary", "type": "required", "path": "chapters[*].metadata.summary"}
    doc = _result([_chapter(0, 1, 1), _chapter(1, 2, 2, status="FAILED")], 2)
    assert validate_result(doc, "default", _rules(rule)).passed


def test_language_rule_reports_unknown_and_unlisted_languages() -> None:
    rule = {"name": "lang", "type": "language", "path": "document.language", "values": ["en", "de"]}
    assert validate_result(_result([], 1, language="de"), "default", _rules(rule)).passed
    assert not validate_result(_result([], 1, language="ar"), "default", _rules(rule)).passed
    assert not validate_result(_result([], 1, language=None), "default", _rules(rule)).passed


def test_page_tiling_detects_gap_overlap_and_short_end() -> None:
    assert tiling_problem([_chapter(0, 1, 3), _chapter(1, 4, 5)], 5) is None
    assert "gap" in (tiling_problem([_chapter(0, 1, 3), _chapter(1, 5, 5)], 5) or "")
    assert "overlaps" in (tiling_problem([_chapter(0, 1, 3), _chapter(1, 3, 5)], 5) or "")
    assert "ends on page 4" in (tiling_problem([_chapter(0, 1, 4)], 5) or "")
    assert "not 1" in (tiling_problem([_chapter(0, 2, 5)], 5) or "")


def test_parts_of_one_split_chapter_may_share_a_page() -> None:
    parts = [_chapter(0, 1, 4, "Long"), _chapter(1, 4, 4, "Long"), _chapter(2, 5, 6, "Next")]
    assert tiling_problem(parts, 6) is None


@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=12))
def test_any_contiguous_partition_tiles(lengths: list[int]) -> None:
    chapters, start = [], 1
    for i, length in enumerate(lengths):
        chapters.append(_chapter(i, start, start + length - 1))
        start += length
    assert tiling_problem(chapters, start - 1) is None


@given(
    st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=12),
    st.integers(min_value=1, max_value=11),
    st.sampled_from([-1, 1]),
)
def test_shifting_one_boundary_breaks_the_tiling(lengths: list[int], which: int, shift: int) -> None:
    chapters, start = [], 1
    for i, length in enumerate(lengths):
        chapters.append(_chapter(i, start, start + length - 1))
        start += length
    index = which % (len(chapters) - 1) + 1
    chapters[index]["start_page"] += shift  # a gap or an overlap with the chapter before
    chapters[index]["end_page"] = max(chapters[index]["end_page"], chapters[index]["start_page"])
    assert tiling_problem(chapters, start - 1) is not None


@given(st.text(max_size=60), st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_length_rule_agrees_with_len(value: str, low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)  # min above max is refused when the rules load
    rule = {"name": "len", "type": "length", "path": "document.title", "min": low, "max": high}
    report = validate_result({"document": {"title": value}}, "default", _rules(rule))
    assert report.passed == (low <= len(value) <= high)
