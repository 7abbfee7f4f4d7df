"""Tiny, dependency-free language guess: the share of each language's commonest function words.

Good enough to tag a chapter ``en``/``de``/``fr``/… for YAKE's stopwords and the validation rule; it says
None rather than guess when the text is too short or matches nothing, and recognises non-Latin scripts.
"""

import re
from collections import Counter


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words("the of and to in is that for it with as was on are be by this which from or an"),
    "de": _words("der die und das ist nicht ein eine zu den von mit sich des auf für im dem wird auch"),
    "fr": _words("le la les et des est une un du dans que pour qui pas sur au avec ce sont par"),
    "es": _words("el la los las de que y en un una es por con para del se su al lo como"),
    "pt": _words("o a os as de que e em um uma do da no na para com não se por ao dos"),
    "it": _words("il la di che e è per un una non del della in con sono gli le si al"),
    "nl": _words("de het een en van is dat op te in zijn voor met niet die aan er ook"),
}
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("ar", r"[\u0600-\u06ff]"),
    ("he", r"[\u0590-\u05ff]"),
    ("ru", r"[\u0400-\u04ff]"),
    ("el", r"[\u0370-\u03ff]"),
    ("zh", r"[\u4e00-\u9fff]"),
    ("ja", r"[\u3040-\u30ff]"),
    ("ko", r"[\uac00-\ud7af]"),
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORDS = 8


def detect_language(text: str, sample_chars: int = 20_000) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot tell."""
    sample = text[:sample_chars]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return None
    for code, pattern in _SCRIPTS:
        if len(re.findall(pattern, sample)) > len(letters) / 2:
            return code
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < MIN_WORDS:
        return None
    counts = Counter(words)
    scores = {lang: sum(counts[w] for w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] < max(2, len(words) // 50):
        return None
    return best
