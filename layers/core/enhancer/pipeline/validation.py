"""The rules of ``config/validation_rules.json`` applied to a result JSON (as a plain dict).

Paths are dotted with ``[*]`` to iterate a list (``chapters[*].metadata.summary``). Two conventions:
a chapter whose enrichment FAILED is not checked below ``metadata``/``llm`` (it has none, by design: the
document is PARTIAL, not invalid); and ``page_tiling`` accepts two consecutive chapters sharing a page only
when they are parts of one split chapter (same title), because a page longer than the chapter limit is cut.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from enhancer.config import (
    AllowedValuesRule,
    CountRule,
    LanguageRule,
    LengthRule,
    PageTilingRule,
    RequiredRule,
    ValidationRule,
    ValidationRulesConfig,
)
from enhancer.models import Severity, ValidationIssue, ValidationReport

_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_SKIPPED_UNDER_FAILED = ("metadata", "llm")


@dataclass(frozen=True)
class Found:
    path: str
    value: Any
    present: bool


def resolve(document: Any, path: str) -> Iterator[Found]:
    """Every value at ``path`` with its concrete path (``chapters[2].title``); missing values are yielded
    with ``present=False`` so ``required`` can report them."""
    yield from _walk(document, path.split(".") if path else [], "")


def _walk(node: Any, parts: list[str], here: str) -> Iterator[Found]:
    if not parts:
        yield Found(here, node, True)
        return
    head, rest = parts[0], parts[1:]
    iterate = head.endswith("[*]")
    name = head[:-3] if iterate else head
    where = f"{here}.{name}" if here else name
    if not isinstance(node, dict) or node.get(name) is None:
        yield Found(where, None, False)
        return
    child = node[name]
    if not iterate:
        yield from _walk(child, rest, where)
        return
    if not isinstance(child, list):
        yield Found(where, child, False)
        return
    for i, item in enumerate(child):
        if (
            rest
            and rest[0] in _SKIPPED_UNDER_FAILED
            and isinstance(item, dict)
            and item.get("status") == "FAILED"
        ):
            continue
        yield from _walk(item, rest, f"{where}[{i}]")


def _empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str | list | dict) and len(value) == 0)
        or (isinstance(value, str) and not value.strip())
    )


def _check(rule: ValidationRule, found: Found, document: dict[str, Any]) -> str | None:
    """The problem with one value under one rule, or None."""
    value = found.value
    match rule:
        case RequiredRule():
            return "is required" if not found.present or _empty(value) else None
        case LengthRule() | CountRule() if not found.present:
            return None  # missing values are the required rule's business
        case LengthRule():
            if not isinstance(value, str):
                return f"expected text, got {type(value).__name__}"
            return _bounds(len(value), rule.min, rule.max, "characters")
        case CountRule():
            if not isinstance(value, list):
                return f"expected a list, got {type(value).__name__}"
            return _bounds(len(value), rule.min, rule.max, "items")
        case AllowedValuesRule():
            if not found.present:
                return None
            values = value if isinstance(value, list) else [value]
            bad = [str(v) for v in values if str(v) not in rule.values]
            return f"{', '.join(bad)} not in {rule.values}" if bad else None
        case LanguageRule():
            if not found.present:
                return "language could not be detected"
            return None if value in rule.values else f"language {value!r} not in {rule.values}"
        case PageTilingRule():
            if not found.present or not isinstance(value, list):
                return None
            page_count = (document.get("pdf") or {}).get("page_count")
            return tiling_problem(value, page_count)
    return None


def _bounds(size: int, low: int | None, high: int | None, unit: str) -> str | None:
    if low is not None and size < low:
        return f"{size} {unit}, fewer than {low}"
    if high is not None and size > high:
        return f"{size} {unit}, more than {high}"
    return None


def tiling_problem(chapters: list[dict[str, Any]], page_count: int | None) -> str | None:
    """Why the chapters' page ranges do not tile pages 1..page_count in order, or None when they do."""
    if not chapters:
        return None
    ordered = sorted(chapters, key=lambda c: c.get("index", 0))
    previous: dict[str, Any] | None = None
    for chapter in ordered:
        start, end = chapter.get("start_page"), chapter.get("end_page")
        if not isinstance(start, int) or not isinstance(end, int) or start > end:
            return f"chapter {chapter.get('index')} has an invalid page range {start}-{end}"
        if previous is None:
            if start != 1:
                return f"the first chapter starts on page {start}, not 1"
        else:
            prev_end = previous["end_page"]
            shared = chapter.get("title") == previous.get("title") or chapter.get("starts_mid_page") is True
            same_split = start == prev_end and shared
            if start != prev_end + 1 and not same_split:
                kind = "overlaps" if start <= prev_end else "leaves a gap after"
                return f"chapter {chapter.get('index')} (pages {start}-{end}) {kind} page {prev_end}"
        previous = chapter
    if page_count is not None and previous is not None and previous["end_page"] != page_count:
        return f"the last chapter ends on page {previous['end_page']}, the document has {page_count}"
    return None


def validate_result(document: dict[str, Any], profile: str, rules: ValidationRulesConfig) -> ValidationReport:
    """Apply the rules that apply to ``profile``; ``passed`` is false when an issue reaches ``fail_on``."""
    issues: list[ValidationIssue] = []
    for rule in rules.rules:
        if rule.profiles is not None and profile not in rule.profiles:
            continue
        for found in resolve(document, rule.path):
            problem = _check(rule, found, document)
            if problem:
                issues.append(
                    ValidationIssue(rule=rule.name, severity=rule.severity, path=found.path, message=problem)
                )
    threshold = _SEVERITY_RANK[rules.fail_on]
    passed = all(_SEVERITY_RANK[i.severity] < threshold for i in issues)
    return ValidationReport(passed=passed, issues=issues)
