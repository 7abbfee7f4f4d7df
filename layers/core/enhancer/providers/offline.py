"""The offline provider: deterministic enrichment with no network and no key.

Text is first reduced to its prose: heading-like lines (short, no closing punctuation, followed by a capital)
are dropped, wrapped lines are joined, and only whole sentences survive (they start with a capital or a digit
and end in ``.``, ``!`` or ``?``), each once. The summary is chosen by **LexRank** (continuous): sentences
are TF-IDF vectors over stemmed content words, PageRank over their cosine similarities ranks them, and the
best are taken greedily while they are not near-duplicates of one already taken (cosine < 0.5), then put
back in reading order and never cut. Keywords are YAKE's keyphrases over the prose, cleaned: no stop word
anywhere in a phrase, no bare verbs (``grew``, ``rated``: a heuristic on the last word), one entry per stem
sequence, a phrase that contains a kept one replaces it, and each written in the text's usual casing
(``Kubernetes``, ``pricing``). Concepts come from the domains of ``config/metadata_keywords.json``.
Profile-specific fields are **heuristics** filled from the text: technologies are the domain terms the text
writes as names (``Python``, ``AWS``), difficulty comes from sentence length and term density, takeaways and
findings are the top-ranked sentences, and optional fields (prerequisites, risks, …) are sentences with cue
words, or left empty. The output is checked against the profile's output model, exactly like an LLM's.
"""

import importlib.util
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
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
MODEL_NAME = "yake-lexrank"
YAKE_LANGUAGES = frozenset({"en", "de", "fr", "es", "pt", "it", "nl", "ar", "ru", "el", "zh", "ja"})
_STEMMERS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
    "ar": "arabic",
    "ru": "russian",
    "el": "greek",
}
# Any closing punctuation and a space end a sentence (a page that starts mid-sentence leaves a lower-case
# fragment, dropped below), except after abbreviations that take a full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|cf|al|approx|fig|figs|eq|no|dr|mr|mrs|ms|st)|\b[A-Z])\.$", re.I
)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CLOSED = re.compile(r"[.!?][\"')\]]?$")
_OPENS = re.compile(r"^[\"'(\[]?[A-ZÀ-ÞА-Я0-9]")
_HEADING_MAX_CHARS = 60
_MIN_SENTENCE_CHARS = 25
_MAX_SENTENCE_CHARS = 400
_MAX_RANKED_SENTENCES = 400  # LexRank is quadratic; a chapter's first 400 sentences are plenty
_DAMPING = 0.85
_REDUNDANT = 0.5
_IRREGULAR_PAST = frozenset(
    [
        "became",
        "began",
        "brought",
        "built",
        "came",
        "chose",
        "drove",
        "fell",
        "felt",
        "found",
        "gave",
        "got",
        "grew",
        "held",
        "kept",
        "knew",
        "led",
        "left",
        "lost",
        "made",
        "meant",
        "met",
        "paid",
        "put",
        "ran",
        "rose",
        "said",
        "sat",
        "saw",
        "sent",
        "set",
        "showed",
        "shown",
        "sold",
        "spent",
        "stood",
        "struck",
        "took",
        "taught",
        "thought",
        "told",
        "understood",
        "went",
        "won",
        "wrote",
    ]
)
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


_per_thread = threading.local()


def _stemmer(language: str) -> Any:
    """One stemmer per thread and language: a Snowball stemmer keeps its working word on the instance, so
    the enrich workers sharing one would stem each other's words."""
    stemmers: dict[str, Any] = _per_thread.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(_STEMMERS.get(language, "english"))
    return stemmers[language]


def term_key(term: str, language: str | None = None) -> tuple[str, ...]:
    """What makes two keywords the same: their words lower-cased and stemmed (``Pods`` = ``pod``)."""
    words = [w.lower() for w in _WORD.findall(term)]
    return tuple(_stemmer(language or "en").stemWords(words))


def contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """Whether the word sequence ``shorter`` occurs inside ``longer`` (``managed data`` in ``managed data
    services``)."""
    size = len(shorter)
    return 0 < size <= len(longer) and any(
        tuple(longer[i : i + size]) == tuple(shorter) for i in range(len(longer) - size + 1)
    )


def prose(text: str) -> list[str]:
    """The text's paragraphs of running prose: heading-like lines dropped, wrapped lines joined."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    blocks: list[str] = []
    current: list[str] = []
    for position, line in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else ""
        heading = (
            len(line) <= _HEADING_MAX_CHARS
            and not re.search(r"[.!?,;:]$", line)
            and (not following or bool(_OPENS.match(following)))
        )
        if heading:
            if current:
                blocks.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(" ".join(current))
    return [_SPACES.sub(" ", b).strip() for b in blocks]


def sentence_key(sentence: str) -> str:
    """Sentences that differ only in case, spacing or punctuation are one sentence."""
    return " ".join(w.lower() for w in _WORD.findall(sentence))


def _sentences_of(block: str) -> Iterator[str]:
    start = 0
    for boundary in _SENTENCE_END.finditer(block):
        piece = block[start : boundary.start() + len(boundary.group(0).rstrip())]
        if _ABBREVIATION.search(piece.rstrip("\"')]")):
            continue
        yield piece
        start = boundary.end()
    yield block[start:]


def split_sentences(text: str) -> list[str]:
    """The text's whole, distinct sentences in reading order: fragments cut at a chunk or page boundary
    (no capital at the start, no closing punctuation at the end), headings and overlong runs dropped."""
    sentences: list[str] = []
    seen: set[str] = set()
    for block in prose(text):
        for raw in _sentences_of(block):
            sentence = raw.strip()
            key = sentence_key(sentence)
            if key in seen or not _OPENS.match(sentence) or not _CLOSED.search(sentence):
                continue
            if _MIN_SENTENCE_CHARS <= len(sentence) <= _MAX_SENTENCE_CHARS and len(key.split()) >= 4:
                seen.add(key)
                sentences.append(sentence)
    return sentences


def _extractor(language: str, top: int) -> Any:
    """One YAKE extractor per thread, language and size (it keeps caches on the instance)."""
    extractors: dict[tuple[str, int], Any] = _per_thread.__dict__.setdefault("extractors", {})
    if (language, top) not in extractors:
        import yake  # deferred: loads its stopword lists

        code = language if language in YAKE_LANGUAGES else "en"
        extractors[language, top] = yake.KeywordExtractor(lan=code, n=3, top=top)
    return extractors[language, top]


@lru_cache(maxsize=16)
def stopwords(language: str | None) -> frozenset[str]:
    """The stop words YAKE's extractor for ``language`` filters with, read from YAKE's own lists without
    importing YAKE: ranking sentences (validation's document summary) needs the list only, and YAKE's
    imports (networkx, numpy) take ~0.4 s of a cold start."""
    code = language if language in YAKE_LANGUAGES else "en"
    spec = importlib.util.find_spec("yake")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("yake is not installed")
    lists = Path(spec.submodule_search_locations[0]) / "core" / "StopwordsList"
    path = lists / f"stopwords_{code}.txt"
    return frozenset(
        (path if path.exists() else lists / "stopwords_noLang.txt").read_text("utf-8").lower().split("\n")
    )


def _verb_like(word: str, language: str) -> bool:
    """English only, and a heuristic: a past form (``rated``, ``grew``) is rarely a keyword's head."""
    lowered = word.lower()
    if language != "en":
        return False
    return lowered in _IRREGULAR_PAST or (len(lowered) > 4 and lowered.endswith("ed") and word.islower())


def surface_form(term: str, text: str) -> str:
    """The casing the text uses for ``term`` away from the start of a sentence (``Kubernetes``, ``pricing``,
    ``PDF``); lower case when it only ever appears capitalised at a sentence start."""
    pattern = re.compile(r"(?<![\w])" + re.escape(term) + r"(?![\w])", re.IGNORECASE)
    forms: Counter[str] = Counter()
    for match in pattern.finditer(text):
        before = text[: match.start()].rstrip()
        if before and not before.endswith((".", "!", "?", ":", "\n")):
            forms[match.group(0)] += 1
    if forms:
        return sorted(forms.items(), key=lambda kv: (-kv[1], kv[0] != kv[0].lower()))[0][0]
    words = term.split()
    if all(w[:1].isupper() and w[1:].islower() for w in words):
        return term.lower()
    return term


_NOUN_CONTEXT = frozenset(
    [
        "a",
        "an",
        "the",
        "each",
        "every",
        "its",
        "their",
        "our",
        "his",
        "her",
        "this",
        "these",
        "those",
        "no",
        "any",
        "some",
        "many",
        "more",
        "most",
        "all",
        "several",
        "of",
        "in",
        "on",
        "for",
        "with",
        "by",
        "from",
        "into",
        "about",
        "between",
        "and",
        "or",
    ]
)


def _noun_like(phrase: str, text: str, language: str) -> bool:
    """English only, and a heuristic: a noun phrase opens a sentence or follows a determiner, a preposition
    or a conjunction somewhere in the text (``a horizontal pod autoscaler``); a run that always follows
    another content word (``autoscaler adds replicas``) is a clause, not a keyword. Subject-verb pairs
    (``replica runs``) still get through."""
    if language != "en":
        return True
    pattern = re.compile(r"(^|[.!?:;,(]\s*|\b(\w+)\s+)" + re.escape(phrase) + r"(?![\w-])", re.IGNORECASE)
    for match in pattern.finditer(text):
        before = match.group(2)
        # A sentence start vouches for two words at most: "Prior work relies" opens a clause.
        if (before is None and len(phrase.split()) <= 2) or (before and before.lower() in _NOUN_CONTEXT):
            return True
    return False


def clean_keywords(candidates: Iterable[str], text: str, count: int, language: str | None) -> list[str]:
    """Keyphrases (best first) without stop words, bare verbs, digits or near-duplicates, in the text's
    casing: one entry per stem sequence, and a phrase containing a kept entry takes its place."""
    lang = language or "en"
    stops = stopwords(lang)
    kept: list[tuple[tuple[str, ...], str]] = []
    for candidate in candidates:
        phrase = _SPACES.sub(" ", candidate).strip()[:KEYWORD_MAX_CHARS]
        words = phrase.split()
        if not words or any(w.lower() in stops or not _WORD.fullmatch(w) for w in words):
            continue
        if any(w.isdigit() for w in words) or _verb_like(words[-1], lang) or _verb_like(words[0], lang):
            continue
        if len(words) == 1 and len(phrase) < 3:
            continue
        if not (phrase.isupper() or _noun_like(phrase, text, lang)):
            continue
        key = term_key(phrase, lang)
        replaced = False
        duplicate = False
        for slot, (other, _form) in enumerate(kept):
            if key == other or contains(other, key):
                duplicate = True
                break
            if contains(key, other):
                if replaced:  # it also contains an earlier entry: drop this one, the slot is taken
                    kept[slot] = ((), "")
                else:
                    kept[slot] = (key, surface_form(phrase, text))
                    replaced = True
        kept = [k for k in kept if k[0]]
        if duplicate or replaced:
            continue
        kept.append((key, surface_form(phrase, text)))
        if len(kept) == count:
            break
    return [form for _key, form in kept]


def extract_keywords(text: str, count: int, language: str | None) -> list[str]:
    """YAKE's keyphrases over the text's prose, cleaned by ``clean_keywords``, best first."""
    body = " ".join(prose(text)) or text
    candidates = [phrase for phrase, _score in _extractor(language or "en", count * 6).extract_keywords(body)]
    return clean_keywords(candidates, body, count, language)


def _content_terms(sentence: str, stops: frozenset[str], language: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(sentence)]
    return list(_stemmer(language).stemWords([w for w in words if w not in stops and not w.isdigit()]))


def lexrank(
    sentences: Sequence[str], language: str | None = None, prior: Sequence[float] | None = None
) -> tuple[list[float], Any]:
    """Continuous LexRank: a score per sentence (PageRank over TF-IDF cosine similarities, damping 0.85) and
    the similarity matrix, for redundancy checks. ``prior`` biases the random jump towards some sentences
    (topic-sensitive PageRank); uniform when absent."""
    import numpy as np  # deferred: ~80 ms at import, needed only when a summary is ranked

    lang = language or "en"
    stops = stopwords(lang)
    bags = [Counter(_content_terms(s, stops, lang)) for s in sentences]
    vocabulary = sorted({t for bag in bags for t in bag})
    if not sentences or not vocabulary:
        return [1.0] * len(sentences), np.eye(len(sentences))
    index = {t: i for i, t in enumerate(vocabulary)}
    matrix = np.zeros((len(sentences), len(vocabulary)))
    for row, bag in enumerate(bags):
        for term, n in bag.items():
            matrix[row, index[term]] = n
    document_frequency = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(sentences)) / (1 + document_frequency)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    unit = matrix / norms
    similarity = unit @ unit.T
    weights = similarity.copy()
    np.fill_diagonal(weights, 0)
    totals = weights.sum(axis=1, keepdims=True)
    size = len(sentences)
    transition = np.where(totals > 0, weights / np.where(totals > 0, totals, 1), 1 / size)
    jump = np.full(size, 1 / size) if prior is None else np.asarray(prior, dtype=float)
    jump = jump / jump.sum() if jump.sum() > 0 else np.full(size, 1 / size)
    scores = np.full(size, 1 / size)
    for _ in range(100):
        updated = (1 - _DAMPING) * jump + _DAMPING * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-9:
            scores = updated
            break
        scores = updated
    return [float(s) for s in scores], similarity


def ranked_sentences(text: str, keywords: Sequence[str] = (), language: str | None = None) -> list[str]:
    """The text's sentences, most central first (LexRank, its jump biased towards sentences that carry the
    keywords), without near-duplicates of a better one."""
    sentences = split_sentences(text)[:_MAX_RANKED_SENTENCES]
    lowered = [s.lower() for s in sentences]
    weights = [len(keywords) - rank for rank, _ in enumerate(keywords)]
    prior = [1 + sum(w for k, w in zip(keywords, weights, strict=True) if k.lower() in s) for s in lowered]
    scores, similarity = lexrank(sentences, language, prior)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    for i in order:
        if all(similarity[i, j] < _REDUNDANT for j in chosen):
            chosen.append(i)
    return [sentences[i] for i in chosen]


def extractive_summary(
    text: str, keywords: Sequence[str], sentences: int, language: str | None = None
) -> str:
    """The ``sentences`` best distinct sentences of ``ranked_sentences`` in reading order, whole: a sentence
    that would pass ``SUMMARY_MAX_CHARS`` is left out rather than cut.

    Text without a whole sentence (tables, lists) yields its opening words, marked ``…`` as cut."""
    best = ranked_sentences(text, keywords, language)[:sentences]
    if not best:
        return _clip(" ".join(prose(text)) or _SPACES.sub(" ", text).strip(), 300)
    positions = {s: i for i, s in enumerate(split_sentences(text))}
    picked: list[str] = []
    for sentence in best:
        if sum(len(s) + 1 for s in picked) + len(sentence) <= SUMMARY_MAX_CHARS:
            picked.append(sentence)
    return " ".join(sorted(picked, key=lambda s: positions[s]))


def document_summary(
    chapter_summaries: Sequence[str], keywords: Sequence[str], sentences: int, language: str | None = None
) -> str:
    """A summary of summaries that covers the document: each chapter's most central sentence, and when there
    are more chapters than ``sentences``, the most central of those (LexRank again), in chapter order."""
    leads: list[str] = []
    seen: set[str] = set()
    for summary in chapter_summaries:
        best = ranked_sentences(summary, keywords, language)[:1]
        if best and sentence_key(best[0]) not in seen:
            seen.add(sentence_key(best[0]))
            leads.append(best[0])
    if not leads:
        return extractive_summary("\n\n".join(chapter_summaries), keywords, sentences, language)
    if len(leads) > sentences:
        scores, _similarity = lexrank(leads, language)
        keep = sorted(sorted(range(len(leads)), key=lambda i: (-scores[i], i))[:sentences])
        leads = [leads[i] for i in keep]
    picked: list[str] = []
    for sentence in leads:
        if sum(len(s) + 1 for s in picked) + len(sentence) <= SUMMARY_MAX_CHARS:
            picked.append(sentence)
    return " ".join(picked)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _clip_sentence(sentence: str, limit: int) -> str:
    return sentence if len(sentence) <= limit else _clip(sentence, limit)


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


def concepts_for(
    text: str, domains: DomainHits, keywords: Sequence[str], count: int, language: str | None
) -> list[str]:
    """Domain labels, then the domain terms the keywords do not already say, one entry per stem sequence
    (``Security`` the label hides ``security`` the term), each in the text's casing."""
    taken = [term_key(k, language) for k in keywords]
    picked: list[str] = []
    seen: list[tuple[str, ...]] = []
    for label in domains.labels:
        seen.append(term_key(label, language))
        picked.append(label)
    for term in domains.terms:
        key = term_key(term, language)
        if key in seen or any(contains(other, key) for other in (*seen, *taken)):
            continue
        seen.append(key)
        picked.append(surface_form(term, text))
    return picked[:count]


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
        language = request.language
        keywords = extract_keywords(text, profile.keyword_count, language)
        if not keywords:
            keywords = extract_keywords(request.chapter_title, profile.keyword_count, language)
        if not keywords:
            raise PermanentError(
                f"chapter {request.chapter_index} has no words to draw keywords from",
                code=ErrorCode.INVALID_LLM_OUTPUT,
            )
        ranked = ranked_sentences(text, keywords, language)
        summary = extractive_summary(text, keywords, profile.summary_sentences, language)
        domains = match_domains(text, self._keywords_config)
        concepts = concepts_for(text, domains, keywords, profile.keyword_count, language)
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
        summary = document_summary(
            request.chapter_summaries, keywords, max(request.profile.summary_sentences, 3), request.language
        )
        ranked = ranked_sentences(joined, keywords, request.language)
        fields: dict[str, object] = {}
        for name, spec in request.profile.document_fields.items():
            value = self._field(name, spec, joined, ranked, keywords, None)
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
                return [_clip_sentence(s, limit) for s in picked[:max_items]] or None
        if spec.type == "string_list":
            if name.endswith(("takeaways", "findings")) or not keywords:
                return [_clip_sentence(s, limit) for s in ranked[:max_items]] or None
            return [_clip(k, limit) for k in keywords[:max_items]] if spec.required else None
        if not spec.required:
            return None
        match spec.type:
            case "string":
                return _clip_sentence(ranked[0] if ranked else (keywords[0] if keywords else ""), limit)
            case "enum":
                return spec.values[0] if spec.values else None
            case "integer":
                return len(_WORD.findall(text))
            case "number":
                return float(len(_WORD.findall(text)))
            case "boolean":
                return False
        return None
