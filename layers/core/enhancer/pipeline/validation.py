"""The rules of ``config/validation_rules.json`` applied to a result JSON (as a plain dict).

Paths are dotted with ``[*]`` to iterate a list (``chapters[*].metadata.summary``). Three conventions:
a chapter whose enrichment FAILED is not checked below ``metadata``/``llm`` (it has none, by design: the
document is PARTIAL, not invalid); ``page_tiling`` accepts two consecutive chapters sharing a page only
when they are parts of one split chapter (same title), because a page longer than the chapter limit is cut;
and a rule with ``min_source_chars`` does not hold a value made from less text than that to what a real
chapter's would be (a one-line document's summary is a few words and may end without a full stop): a
``length`` or ``count`` rule keeps only its ``max`` there, any other rule skips the value.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from enhancer.config import (
    AllowedValuesRule,
    CompleteSentencesRule,
    CountRule,
    LanguageRule,
    LengthRule,
    PageTilingRule,
    RequiredRule,
    UniqueItemsRule,
    UniqueSentencesRule,
    ValidationRule,
    ValidationRulesConfig,
)
from enhancer.models import Severity, ValidationIssue, ValidationReport
from enhancer.providers.offline import contains, sentence_key, term_key

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]?\s+")
_OPENING = re.compile(r"^[\"'(\[]?[^\W_a-zà-ÿ]", re.UNICODE)
_CLOSING = re.compile(r"[.!?][\"')\]]?$")
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_SKIPPED_UNDER_FAILED = ("metadata", "llm")
_CHAPTER_PATH = re.compile(r"^chapters\[(\d+)\]")


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


def _check(rule: ValidationRule, found: Found, document: dict[str, Any], keep_min: bool = True) -> str | None:
    """The problem with one value under one rule, or None; ``keep_min=False`` drops a range rule's ``min``."""
    value = found.value
    match rule:
        case RequiredRule():
            return "is required" if not found.present or _empty(value) else None
        case LengthRule() | CountRule() if not found.present:
            return None  # missing values are the required rule's business
        case LengthRule():
            if not isinstance(value, str):
                return f"expected text, got {type(value).__name__}"
            return _bounds(len(value), rule.min if keep_min else None, rule.max, "characters")
        case CountRule():
            if not isinstance(value, list):
                return f"expected a list, got {type(value).__name__}"
            return _bounds(len(value), rule.min if keep_min else None, rule.max, "items")
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
        case UniqueSentencesRule():
            return repeated_sentence(value) if found.present and isinstance(value, str) else None
        case CompleteSentencesRule():
            return truncation(value) if found.present and isinstance(value, str) else None
        case UniqueItemsRule():
            if not found.present or not isinstance(value, list):
                return None
            return duplicate_items([str(v) for v in value], containment=rule.containment)
    return None


def repeated_sentence(text: str) -> str | None:
    """The first sentence that occurs twice (ignoring case, spacing and punctuation), or None."""
    seen: set[str] = set()
    for sentence in _SENTENCE_BREAK.split(text.strip()):
        key = sentence_key(sentence)
        if key in seen:
            return f"repeats the sentence {_quote(sentence)}"
        if key:
            seen.add(key)
    return None


def truncation(text: str) -> str | None:
    """Why the text looks cut (a lower-case start, no closing punctuation, an ellipsis), or None."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.endswith(("…", "...")):
        return f"ends with an ellipsis: {_quote(stripped[-60:])}"
    if not _CLOSING.search(stripped):
        return f"ends mid-sentence: {_quote(stripped[-60:])}"
    if not _OPENING.match(stripped):
        return f"starts mid-sentence: {_quote(stripped[:60])}"
    return None


def duplicate_items(items: list[str], *, containment: bool) -> str | None:
    """The first pair of items that are one term (same words once lower-cased and stemmed, or with
    ``containment`` one inside the other), or None."""
    keys = [term_key(item) for item in items]
    for later, key in enumerate(keys):
        for earlier in range(later):
            other = keys[earlier]
            if key == other or (containment and (contains(other, key) or contains(key, other))):
                return f"{items[earlier]!r} and {items[later]!r} are the same term"
    return None


def _quote(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:79] + "…")


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


def source_chars(document: dict[str, Any], path: str) -> int | None:
    """How much text the value at a concrete ``path`` was made from: its chapter's ``char_count`` under
    ``chapters[i]``, else the document's ``pdf.text_chars``; None when the result does not say."""
    chapter = _CHAPTER_PATH.match(path)
    if chapter:
        chapters = document.get("chapters")
        index = int(chapter.group(1))
        item = chapters[index] if isinstance(chapters, list) and index < len(chapters) else None
        count = item.get("char_count") if isinstance(item, dict) else None
    else:
        pdf = document.get("pdf")
        count = pdf.get("text_chars") if isinstance(pdf, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _short_source(document: dict[str, Any], path: str, minimum: int) -> bool:
    count = source_chars(document, path)
    return count is not None and count < minimum


def validate_result(document: dict[str, Any], profile: str, rules: ValidationRulesConfig) -> ValidationReport:
    """Apply the rules that apply to ``profile``; ``passed`` is false when an issue reaches ``fail_on``."""
    issues: list[ValidationIssue] = []
    for rule in rules.rules:
        if rule.profiles is not None and profile not in rule.profiles:
            continue
        for found in resolve(document, rule.path):
            short = rule.min_source_chars is not None and _short_source(
                document, found.path, rule.min_source_chars
            )
            if short and not isinstance(rule, LengthRule | CountRule):
                continue
            problem = _check(rule, found, document, keep_min=not short)
            if problem:
                issues.append(
                    ValidationIssue(rule=rule.name, severity=rule.severity, path=found.path, message=problem)
                )
    threshold = _SEVERITY_RANK[rules.fail_on]
    passed = all(_SEVERITY_RANK[i.severity] < threshold for i in issues)
    return ValidationReport(passed=passed, issues=issues)
