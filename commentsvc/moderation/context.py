"""Reading a listed word in its context: names, fixed phrases, code, other languages.

The matcher finds listed words; this module lets go of the ones whose context
says they are not profanity:

- **fixed phrases** ("cum laude", "cocker spaniel", "tit for tat"; see
  `ordinary.PHRASES`) that hold a listed word;
- **names**: a capitalised listed word after a title ("Mr", "Dr", "Sir"), next
  to a first name (gender-guesser's dictionary: "Dick Grayson", "Ed Balls"),
  inside a run of capitalised words mid-sentence ("Pussy Riot"), or after a
  place preposition ("a village near Dildo"); never for the strongest
  obscenities, which are no one's name;
- **code**: a listed word glued to an identifier by "_" (`x_cum`), between
  backticks, or called as a function;
- **other languages**: a word that is an ordinary word of the language the
  comment is written in (py3langid), or an accented word of another language
  that only folds to a listed word ("phúc").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from commentsvc.moderation.ordinary import PHRASES
from commentsvc.moderation.vocab import (
    common_words,
    detect_language,
    foreign_word_languages,
    is_first_name,
    strip_accents,
)

if TYPE_CHECKING:
    from commentsvc.moderation.matcher import Match

_TITLES_TEXT = """mr mrs ms miss mx dr sir lord lady dame prof professor rev reverend father sister
    brother saint st captain capt judge justice senator sen president king queen prince
    princess uncle aunt auntie general col colonel sgt sergeant inspector detective officer
    coach mayor councillor cllr bishop archbishop rabbi imam pastor"""
TITLES = frozenset(_TITLES_TEXT.split())
_PLACE_WORDS = frozenset(
    [
        "through",
        "past",
        "into",
        "in",
        "at",
        "from",
        "near",
        "outside",
        "of",
        "to",
        "via",
        "visit",
        "visited",
        "around",
        "towards",
        "toward",
    ]
)
NEVER_NAMES = ("fuck", "cunt", "nigg", "motherf", "cocksuck", "wank", "twat", "whore", "slut")
"""Stems of words that are no one's name, whatever the capitals say."""
_SENTENCE_END = ".!?\n"
_WORD_BEFORE_RE = re.compile(r"([^\W\d_][\w'’.-]*)[\s,]*$")
_WORD_AFTER_RE = re.compile(r"^[\s,]*([^\W\d_][\w'’-]*)")
_LANGUAGE_MIN_PROB = 0.6
_INITIAL_RE = re.compile(r"(?:^|\s)[A-Z]\.$")


def _phrase_re() -> re.Pattern[str]:
    parts = []
    for phrase in sorted(PHRASES, key=len, reverse=True):
        words = [re.escape(w) for w in phrase.split()]
        parts.append(r"[\s\-]+".join(words) + r"(?:s|es)?")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


@functools.cache
def _phrases() -> re.Pattern[str]:
    return _phrase_re()


def innocent_matches(original: str, found: Sequence[Match]) -> list[Match]:
    """`found` without the matches their context shows to be innocent."""
    if not found:
        return list(found)
    language: tuple[str, float] | None = None
    kept: list[Match] = []
    for match in found:
        if _in_phrase(original, match):
            continue
        if _is_code(original, match) or _is_name(original, match):
            continue
        if match.how != "joined" and _is_foreign(match):
            continue
        if match.how != "joined" and foreign_word_languages(_plain_typed(match)):
            if language is None:
                language = ("en", 1.0) if _mostly_english(original) else detect_language(original)
            lang, prob = language
            if (
                lang != "en"
                and prob >= _LANGUAGE_MIN_PROB
                and lang in foreign_word_languages(_plain_typed(match))
            ):
                continue
        kept.append(match)
    return kept


_PHRASE_REACH = 48
_TOKEN_RE = re.compile(r"[^\W\d_]+")


@functools.cache
def _phrase_words() -> frozenset[str]:
    return frozenset(w.strip("-") for p in PHRASES for w in re.split(r"[\s-]+", p))


def _in_phrase(original: str, match: Match) -> bool:
    """Whether the match is part of an allowed fixed phrase ("magna cum laude")."""
    words = {w.casefold() for w in _TOKEN_RE.findall(match.typed)}
    if _phrase_words().isdisjoint(words):
        return False
    lo = max(0, match.span.start - _PHRASE_REACH)
    hi = min(len(original), match.span.end + _PHRASE_REACH)
    for m in _phrases().finditer(original, lo, hi):
        if m.start() <= match.span.start and match.span.end <= m.end():
            return True
    return False


def _mostly_english(text: str) -> bool:
    """Whether most words of `text` are common English words (no need to ask a model)."""
    tokens = [t.casefold() for t in _TOKEN_RE.findall(text)]
    common = common_words(4.5)
    return sum(1 for t in tokens if t in common) >= 0.7 * len(tokens)


def _plain_typed(match: Match) -> str:
    return match.typed.casefold()


def _is_code(original: str, match: Match) -> bool:
    start, end = match.span.start, match.span.end
    if any(c.isspace() for c in match.typed):
        return False
    glued_before = start >= 2 and original[start - 1] == "_" and original[start - 2].isalnum()
    glued_after = end + 1 < len(original) and original[end] == "_" and original[end + 1].isalnum()
    if (glued_before or glued_after) and "_" not in match.typed:
        return True
    if end < len(original) and original[end] == "(" and original[end + 1 : end + 2] in (")", ""):
        return True
    before = original[:start]
    return before.count("`") % 2 == 1 and "`" in original[end:]


def _capitalised(typed: str) -> bool:
    return typed[:1].isupper() and not typed.isupper() and " " not in typed.strip()


def _is_name(original: str, match: Match) -> bool:
    typed = match.typed
    start, end = match.span.start, match.span.end
    before = original[:start]
    if match.how == "joined":
        # "through Twatt on the way": a proper noun and the next word, not a split word
        head, _, rest = typed.partition(" ")
        stripped = before.rstrip()
        return (
            _capitalised(head)
            and rest.strip().islower()
            and bool(stripped)
            and stripped[-1] not in _SENTENCE_END
        )
    if not _capitalised(typed):
        return False
    after = original[end:]
    m = _WORD_BEFORE_RE.search(before[-40:])
    prev = m.group(1) if m else ""
    m = _WORD_AFTER_RE.match(after[:40])
    nxt = m.group(1) if m else ""
    stripped = before.rstrip()
    initial = not stripped or stripped[-1] in _SENTENCE_END or stripped[-1] in "\"'“‘(:"
    if initial and _INITIAL_RE.search(stripped):
        initial = False  # "Philip K. Dick": an initial, not the end of a sentence
    prev_word = prev.rstrip(".").casefold()
    if prev and prev_word in TITLES:
        return True  # "Mr Cock", "Dr Dick"
    strong = any(stem in match.word.casefold() for stem in NEVER_NAMES)
    prev_cap = (
        bool(prev) and prev[:1].isupper() and (not prev.isupper() or len(prev.rstrip(".")) == 1)
    )
    next_cap = bool(nxt) and nxt[:1].isupper() and not nxt.isupper()
    gap_after = after[: len(after) - len(after.lstrip())]
    if not strong and is_first_name(typed) and next_cap and "\n" not in gap_after:
        return True  # "Dick Grayson", "Fanny Brice"
    if not initial and prev_cap and (is_first_name(prev.rstrip(".")) or len(prev) <= 2):
        return not strong  # "Ed Balls", "Philip K. Dick"
    if initial:
        return False
    if match.how in ("fuzzy", "compound"):
        return True  # "Twatt", "Shitterton": a proper noun, not a word typed oddly
    if strong:
        return False
    if (prev_cap and not _sentence_start_before(before, prev)) or next_cap:
        return True  # a run of capitalised words: a band, a title, a place
    return prev_word in _PLACE_WORDS


def _sentence_start_before(before: str, prev: str) -> bool:
    """Whether the previous word begins its sentence (so its capital says nothing)."""
    head = before.rstrip(" ,")
    head = head[: len(head) - len(prev)].rstrip()
    return not head or head[-1] in _SENTENCE_END


def _is_foreign(match: Match) -> bool:
    """An accented word of another language that only folds to a listed one ("phúc")."""
    typed = match.typed.casefold()
    if typed == strip_accents(typed) or not typed.isalpha():
        return False
    return bool(foreign_word_languages(typed))
