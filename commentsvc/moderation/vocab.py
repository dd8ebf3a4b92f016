"""What the word filter knows about ordinary language, from shipped data sets.

- English (and other languages') word frequencies: `wordfreq`, so "hard" and
  "on" are words while "pri" and "ck" are pieces of one; a Spanish "negro" or
  a Vietnamese "phúc" is an ordinary word of its language.
- The comment's language: `py3langid` (an offline model shipped in the wheel).
- First names: `gender-guesser`'s dictionary of about 40,000 first names from
  European and other countries ("Dick", "Fanny", "Willy" are names).

Everything loads on first use and is cached: a clean comment never gets here,
only one the matcher found a listed word in.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from typing import Protocol, cast

_COMMON_ZIPF = 3.5
"""Zipf frequency (log10 per billion words) from which a word of 3+ letters is common."""
_COMMON_SHORT_ZIPF = 4.5
"""... and a word of one or two letters (fragments like "sh" or "ck" are web noise)."""
FOREIGN_LANGUAGES = ("es", "pt", "vi", "fr", "it", "de", "nl", "pl", "tr", "id", "sv", "ro")
"""Languages whose ordinary words may equal or fold to an English listed word."""
_FOREIGN_ZIPF = 3.0


class _Detector(Protocol):
    def get_gender(self, name: str) -> str: ...


@functools.cache
def _english() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return {w: math.log10(f * 1e9) for w, f in get_frequency_dict("en").items()}


def zipf(word: str, lang: str = "en") -> float:
    """How common `word` is in `lang` (0 for unknown words)."""
    if lang == "en":
        return _english().get(word, 0.0)
    return _zipf_other(word, lang)


@functools.lru_cache(maxsize=50_000)
def _zipf_other(word: str, lang: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, lang))


@functools.lru_cache(maxsize=200_000)
def is_common_english(word: str) -> bool:
    """Whether `word` (lower case) is an everyday English word, not a piece of one."""
    if not word.isalpha():
        return False
    threshold = _COMMON_ZIPF if len(word) >= 3 else _COMMON_SHORT_ZIPF
    return zipf(word) >= threshold


@functools.cache
def common_words(threshold: float = 3.0) -> frozenset[str]:
    """English words at least this common (about 30,000 of them)."""
    return frozenset(w for w, z in _english().items() if z >= threshold and w.isalpha())


def is_english_word(word: str, threshold: float = 2.5) -> bool:
    """Whether `word` is an English word at all (rarer words too: "cocker", "cumin")."""
    return word.isalpha() and zipf(word) >= threshold


@functools.lru_cache(maxsize=50_000)
def foreign_word_languages(word: str) -> tuple[str, ...]:
    """The languages (of `FOREIGN_LANGUAGES`) in which `word` is an ordinary word."""
    word = word.casefold()
    return tuple(
        lang
        for lang in FOREIGN_LANGUAGES
        if zipf(word, lang) >= _FOREIGN_ZIPF and zipf(word, lang) > zipf(word, "en")
    )


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the language `text` is written in."""
    identifier = _identifier()
    lang, prob = identifier.classify(text)
    return str(lang), float(prob)


@functools.cache
def _identifier() -> _Classifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return cast(_Classifier, identifier)


class _Classifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


@functools.cache
def _names() -> _Detector:
    import gender_guesser.detector

    return cast(_Detector, gender_guesser.detector.Detector(case_sensitive=False))


@functools.lru_cache(maxsize=50_000)
def is_first_name(word: str) -> bool:
    """Whether `word` is a first name in gender-guesser's dictionary."""
    if not word.isalpha():
        return False
    return _names().get_gender(word) != "unknown"


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
