"""The measures, each a plain function of predicted and true values, in [0, 1].

Text is compared through the offline provider's notion of a term (lower-cased, stemmed words, stop words
left out), so ``Pods`` matches ``pod`` and ``managed data`` matches ``managed data services``."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from enhancer.providers.offline import contains, stopwords, term_key

TITLE_MATCH_RATIO = 0.8
_NUMBERING = re.compile(
    r"^\s*(?:(?:chapter|part|section|appendix)\s+)?(?:[0-9]+(?:\.[0-9]+)*|[ivxlc]+|[a-z])?[.:)]?\s+", re.I
)


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def prf(matched_predicted: int, predicted: int, matched_truth: int, truth: int) -> PRF:
    """Precision over what was predicted, recall over the truth; an empty side scores 1 only when both are
    empty."""
    precision = matched_predicted / predicted if predicted else (1.0 if not truth else 0.0)
    recall = matched_truth / truth if truth else (1.0 if not predicted else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(round(precision, 4), round(recall, 4), round(f1, 4))


def aligned_starts(predicted: Sequence[int], truth: Sequence[int]) -> list[int]:
    """Predicted start pages with the contract's front-matter rule applied: the first chapter of a result
    always starts on page 1 (chapters tile the document), so when the truth has no chapter there and the
    predicted second chapter starts after the true first one, that first start counts as the true first."""
    starts = sorted(predicted)
    first_true = min(truth) if truth else 0
    if starts and first_true > 1 and starts[0] == 1 and (len(starts) == 1 or starts[1] > first_true):
        starts[0] = first_true
    return starts


def chapter_starts(predicted: Sequence[int], truth: Sequence[int]) -> PRF:
    """Exact start-page agreement, after ``aligned_starts``."""
    found = set(aligned_starts(predicted, truth))
    expected = set(truth)
    hits = len(found & expected)
    return prf(hits, len(found), hits, len(expected))


def normalise_title(title: str) -> str:
    """Numbering (``2.``, ``Chapter 3:``) and case dropped, spaces collapsed."""
    return " ".join(_NUMBERING.sub("", title.strip(), count=1).lower().split())


def titles_match(predicted: str, truth: str) -> bool:
    a, b = normalise_title(predicted), normalise_title(truth)
    return a == b or SequenceMatcher(None, a, b).ratio() >= TITLE_MATCH_RATIO


def _matches(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return bool(a and b) and (a == b or contains(a, b) or contains(b, a))


def keyword_overlap(predicted: Sequence[str], truth: Sequence[str], language: str | None = None) -> PRF:
    """A predicted keyword is right when it is a true one, or one of them contains the other (by stems)."""
    found = [term_key(k, language) for k in predicted]
    expected = [term_key(k, language) for k in truth]
    right = sum(1 for f in found if any(_matches(f, e) for e in expected))
    covered = sum(1 for e in expected if any(_matches(f, e) for f in found))
    return prf(right, len(found), covered, len(expected))


_WORDS = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def content_terms(text: str, language: str | None = None) -> list[str]:
    """Stemmed words of ``text`` without stop words or numbers."""
    stops = stopwords(language)
    kept = [w for w in _WORDS.findall(text.lower()) if w not in stops and not w.isdigit()]
    return list(term_key(" ".join(kept), language))


def summary_similarity(predicted: str, reference: str, language: str | None = None) -> float:
    """ROUGE-1 F1 over stemmed content words: cheap, lexical, offline."""
    found = Counter(content_terms(predicted, language))
    expected = Counter(content_terms(reference, language))
    overlap = sum((found & expected).values())
    if not found or not expected or not overlap:
        return 0.0
    precision = overlap / sum(found.values())
    recall = overlap / sum(expected.values())
    return round(2 * precision * recall / (precision + recall), 4)
