"""The FIRST offline provider, kept only so ``bench/offline_eval.py`` can score it beside the current one in
the same run (it is not part of the product; ``enhancer.providers.offline`` is).

The offline provider: deterministic enrichment with no network and no key.

YAKE picks the keywords, an extractive summary keeps the sentences that carry most of them (in their original
order), and concepts come from the domains of ``config/metadata_keywords.json``. Profile-specific fields are
**heuristics** filled from the text: technologies are the domain terms the text writes as names (``Python``,
``AWS``), difficulty comes from sentence length and term density, takeaways and findings are the top-scoring
sentences, and optional fields (prerequisites, risks, …) are sentences with cue words, or left empty. The
output is checked against the profile's output model, exactly like an LLM's.
"""

import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from enhancer.config import FieldSpec, MetadataKeywordsConfig
from enhancer.errors import PermanentError
from enhancer.models import ChapterMetadata, ErrorCode, LlmCallInfo
from enhancer.models.result import OFFLINE_PROVIDER
from enhancer.profiles import (
    KEYWORD_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    chapter_output_model,
    document_output_model,
)
from enhancer.providers.base import EnrichmentOutcome, EnrichmentRequest, ReduceOutcome, ReduceRequest

PROVIDER_NAME = OFFLINE_PROVIDER
MODEL_NAME = "yake-extractive"
YAKE_LANGUAGES = frozenset({"en", "de", "fr", "es", "pt", "it", "nl", "ar", "ru", "el", "zh", "ja"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-ZÀ-ÞА-Я0-9])|\n{2,}")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_MIN_SENTENCE_CHARS = 25
_MAX_SENTENCE_CHARS = 400
_CUES: dict[str, tuple[str, ...]] = {
    "prerequisites": (
        "familiar with",
        "assume",
        "prerequisite",
        "knowledge of",
        "before reading",
        "requires",
    ),
    "recommendations": ("recommend", "should", "must", "propose", "advise"),
    "risks": ("risk", "threat", "concern", "danger", "may fail", "vulnerab", "limitation"),
    "methods": ("method", "approach", "algorithm", "we use", "we propose", "model", "experiment"),
    "findings": ("result", "show", "found", "finding", "demonstrat", "conclude", "improve"),
}


@dataclass(frozen=True)
class _Sentence:
    position: int
    text: str


def split_sentences(text: str) -> list[str]:
    """Distinct sentences of running text, whitespace collapsed; fragments and overlong runs dropped."""
    sentences: list[str] = []
    seen: set[str] = set()
    for raw in _SENTENCE_END.split(text):
        sentence = _SPACES.sub(" ", raw).strip()
        if sentence.lower() in seen:  # repeated boilerplate would crowd out the rest
            continue
        if _MIN_SENTENCE_CHARS <= len(sentence) <= _MAX_SENTENCE_CHARS and len(sentence.split()) >= 4:
            seen.add(sentence.lower())
            sentences.append(sentence)
    return sentences


@lru_cache(maxsize=16)
def _extractor(language: str, top: int) -> Any:
    import yake  # deferred: loads its stopword lists

    return yake.KeywordExtractor(lan=language if language in YAKE_LANGUAGES else "en", n=3, top=top)


def extract_keywords(text: str, count: int, language: str | None) -> list[str]:
    """YAKE's best ``count`` keyphrases, case-insensitively de-duplicated, best first."""
    found: list[str] = []
    seen: set[str] = set()
    for phrase, _score in _extractor(language or "en", count * 2).extract_keywords(text):
        cleaned = _SPACES.sub(" ", phrase).strip()[:KEYWORD_MAX_CHARS]
        if cleaned and cleaned.lower() not in seen and not cleaned.isdigit():
            seen.add(cleaned.lower())
            found.append(cleaned)
        if len(found) == count:
            break
    return found


def extractive_summary(text: str, keywords: list[str], sentences: int) -> str:
    """The ``sentences`` sentences with the most keyword weight, kept in their original order.

    Falls back to the text's opening words when it has no sentence-shaped content (tables, lists)."""
    candidates = [_Sentence(i, s) for i, s in enumerate(split_sentences(text))]
    if not candidates:
        words = _SPACES.sub(" ", text).strip()
        return _clip(words, 300)
    weights = {k.lower(): len(keywords) - rank for rank, k in enumerate(keywords)}

    def score(sentence: _Sentence) -> float:
        lowered = sentence.text.lower()
        hits = sum(w for k, w in weights.items() if k in lowered)
        return hits / math.sqrt(len(sentence.text.split()))

    best = sorted(candidates, key=lambda s: (-score(s), s.position))[:sentences]
    summary = " ".join(s.text for s in sorted(best, key=lambda s: s.position))
    return _clip(summary, SUMMARY_MAX_CHARS)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w+#])" + re.escape(term) + r"(?![\w+#])", re.IGNORECASE)


@dataclass(frozen=True)
class DomainHits:
    """Which domains a text belongs to, and which of their terms it uses (surface forms kept)."""

    labels: list[str]
    terms: list[str]
    names: list[str]


def match_domains(text: str, config: MetadataKeywordsConfig) -> DomainHits:
    """Domains with at least ``min_hits`` distinct keyword hits, strongest first; their matched terms by
    frequency; and the terms the text writes as names (capitalised or upper-case: ``Python``, ``AWS``)."""
    domain_hits: list[tuple[int, str]] = []
    term_counts: Counter[str] = Counter()
    name_forms: dict[str, str] = {}
    for order, domain in enumerate(config.domains.values()):
        hits = 0
        for term in domain.keywords:
            matches = _term_pattern(term).findall(text)
            if not matches:
                continue
            hits += 1
            term_counts[term] += len(matches)
            named = [m for m in matches if m[:1].isupper()]
            if named and term not in name_forms:
                name_forms[term] = Counter(named).most_common(1)[0][0]
        if hits >= config.min_hits:
            domain_hits.append((hits * 1000 - order, domain.label))
    labels = [label for _score, label in sorted(domain_hits, reverse=True)]
    terms = [term for term, _n in sorted(term_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    names = [name_forms[t] for t in terms if t in name_forms]
    return DomainHits(labels=labels, terms=terms, names=names)


def estimate_difficulty(text: str, domain_terms: int) -> str:
    """A heuristic, not a judgement: long sentences and dense domain vocabulary read as harder."""
    words = _WORD.findall(text)
    sentences = max(1, len(split_sentences(text)))
    words_per_sentence = len(words) / sentences
    density = 1000 * domain_terms / max(1, len(words))
    score = words_per_sentence / 10 + density / 4
    if score < 2.5:
        return "beginner"
    if score < 4.5:
        return "intermediate"
    return "advanced"


class OfflineProvider:
    """Implements ``EnrichmentProvider`` without a network: see the module docstring for what is heuristic."""

    name = PROVIDER_NAME

    def __init__(self, keywords_config: MetadataKeywordsConfig) -> None:
        self._keywords_config = keywords_config

    def enrich_chapter(self, request: EnrichmentRequest) -> EnrichmentOutcome:
        started = time.perf_counter()
        profile = request.profile
        text = request.text
        keywords = extract_keywords(text, profile.keyword_count, request.language)
        if not keywords:
            keywords = extract_keywords(request.chapter_title, profile.keyword_count, request.language)
        if not keywords:
            raise PermanentError(
                f"chapter {request.chapter_index} has no words to draw keywords from",
                code=ErrorCode.INVALID_LLM_OUTPUT,
            )
        summary = extractive_summary(text, keywords, profile.summary_sentences)
        domains = match_domains(text, self._keywords_config)
        concepts = (domains.labels + [t for t in domains.terms if t not in keywords])[: profile.keyword_count]
        ranked = self._ranked_sentences(text, keywords)
        fields = {
            name: value
            for name, spec in profile.chapter_fields.items()
            if (value := self._field(name, spec, text, ranked, keywords, domains)) is not None
        }
        output = {"summary": summary, "keywords": keywords, "concepts": concepts, **fields}
        model = chapter_output_model(request.profile_name, profile)
        try:
            checked = model.model_validate(output)
        except ValidationError as exc:
            raise PermanentError(
                f"offline output does not fit profile {request.profile_name!r}: {exc.errors()[0]['msg']}",
                code=ErrorCode.INVALID_LLM_OUTPUT,
            ) from exc
        return EnrichmentOutcome(
            metadata=ChapterMetadata.model_validate(checked.model_dump(exclude_none=True)),
            llm=self._call_info(started),
        )

    def reduce_document(self, request: ReduceRequest) -> ReduceOutcome:
        started = time.perf_counter()
        joined = "\n\n".join(s for s in request.chapter_summaries if s)
        keywords = extract_keywords(joined, request.profile.keyword_count, request.language)
        summary = extractive_summary(joined, keywords, max(request.profile.summary_sentences, 3))
        fields: dict[str, object] = {}
        for name, spec in request.profile.document_fields.items():
            value = self._field(name, spec, joined, self._ranked_sentences(joined, keywords), keywords, None)
            if value is not None:
                fields[name] = value
        model = document_output_model(request.profile_name, request.profile)
        try:
            checked = model.model_validate({"summary": summary, **fields})
        except ValidationError as exc:
            raise PermanentError(
                f"offline document output does not fit profile {request.profile_name!r}: "
                f"{exc.errors()[0]['msg']}",
                code=ErrorCode.INVALID_LLM_OUTPUT,
            ) from exc
        data = checked.model_dump(exclude_none=True)
        return ReduceOutcome(summary=data.pop("summary"), fields=data, llm=self._call_info(started))

    @staticmethod
    def _call_info(started: float) -> LlmCallInfo:
        return LlmCallInfo(
            provider=PROVIDER_NAME,
            model=MODEL_NAME,
            latency_ms=int((time.perf_counter() - started) * 1000),
            attempts=1,
        )

    @staticmethod
    def _ranked_sentences(text: str, keywords: list[str]) -> list[str]:
        sentences = split_sentences(text)
        weights = {k.lower(): len(keywords) - rank for rank, k in enumerate(keywords)}
        scored = [
            (sum(w for k, w in weights.items() if k in s.lower()), -i, s) for i, s in enumerate(sentences)
        ]
        return [s for _score, _pos, s in sorted(scored, reverse=True)]

    @staticmethod
    def _field(
        name: str,
        spec: FieldSpec,
        text: str,
        ranked: list[str],
        keywords: list[str],
        domains: DomainHits | None,
    ) -> object | None:
        """One profile field, from the text where a heuristic exists; None leaves an optional field empty."""
        limit = spec.max_length or KEYWORD_MAX_CHARS * 3
        max_items = spec.max_items or 5
        cues = _CUES.get(name)
        if name == "difficulty" and spec.type == "enum":
            guess = estimate_difficulty(text, len(domains.terms) if domains else 0)
            return guess if guess in (spec.values or []) else (spec.values[0] if spec.values else None)
        if name == "technologies" and spec.type == "string_list":
            return [_clip(n, limit) for n in (domains.names if domains else [])][:max_items]
        if cues and spec.type == "string_list":
            picked = [s for s in ranked if any(c in s.lower() for c in cues)]
            if picked or not spec.required:
                return [_clip(s, limit) for s in picked[:max_items]] or None
        if spec.type == "string_list":
            if name.endswith(("takeaways", "findings")) or not keywords:
                return [_clip(s, limit) for s in ranked[:max_items]] or None
            return [_clip(k, limit) for k in keywords[:max_items]] if spec.required else None
        if not spec.required:
            return None
        match spec.type:
            case "string":
                return _clip(ranked[0] if ranked else (keywords[0] if keywords else ""), limit)
            case "enum":
                return spec.values[0] if spec.values else None
            case "integer":
                return len(_WORD.findall(text))
            case "number":
                return float(len(_WORD.findall(text)))
            case "boolean":
                return False
        return None
