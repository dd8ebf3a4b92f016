"""The word list: better-profanity's list and ours, sorted into what the matcher looks up.

`default_words` reads better-profanity's list from the installed package and adds
common English obscenities it leaves out. `entries` sorts a list into plain
words, leet spellings and phrases, keyed as the normalizer writes them;
`plurals` and `with_variants` add the plural of each word and the spellings
better-profanity lets stand for it ("shlt", "fvck"); `allowed` reads a site's
allowlist the same way, with the inflections of each word.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
from collections.abc import Iterable, Iterator

from commentsvc.moderation.fold import fold_lookalikes
from commentsvc.moderation.normalize import Word, normalize
from commentsvc.moderation.ordinary import inflections

MAX_READINGS = 256
"""Readings tried for one word (ambiguous leet and stretched letters multiply)."""


@functools.cache
def default_words() -> tuple[str, ...]:
    """better-profanity's word list, read from the installed package."""
    resource = importlib.resources.files("better_profanity").joinpath("profanity_wordlist.txt")
    lines = resource.read_text(encoding="utf-8").splitlines()
    listed = (line.strip() for line in lines if line.strip())
    return tuple(dict.fromkeys((*listed, *EXTRA_WORDS)))


EXTRA_WORDS = (
    "bollocks", "bollock", "bollox", "bugger", "minge", "pillock", "wazzock", "nonce",
    "dipshit", "asswipe", "arsewipe", "shitbag", "dickwad", "munter", "bint",
    "asshat", "arsehat", "ffs", "wtaf", "fml", "stfu", "gtfo",
)  # fmt: skip
"""Common English obscenities better-profanity's list leaves out (see docs/design-notes.md)."""


def allowed(allow: Iterable[str]) -> tuple[set[str], set[tuple[str, ...]]]:
    """The allowlist as normalized words and phrases."""
    words: set[str] = set()
    phrases: set[tuple[str, ...]] = set()
    for entry in allow:
        parts = tuple(w.text for w in normalize(entry).words)
        if len(parts) == 1:
            for form in inflections(parts[0]):
                words.add(form)
                words.add(fold_lookalikes(form))
        elif parts:
            phrases.add(parts)
    return words, phrases


def entries(
    words: Iterable[str], allowed_phrases: set[tuple[str, ...]]
) -> tuple[dict[str, str], dict[str, str], dict[tuple[str, ...], str]]:
    """Sort list entries into plain words, leet spellings and phrases, keyed normalized."""
    plain: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    leet: list[tuple[tuple[str, ...], str]] = []
    for entry in words:
        kind, keys = _parse_entry(entry)
        if kind == "phrase":
            if keys not in allowed_phrases:
                phrases.setdefault(keys, entry)
        elif kind == "leet":
            leet.append((keys, entry))
        elif kind == "plain":
            plain.setdefault(keys[0], entry)
    evasion: dict[str, str] = {}
    for readings, entry in leet:
        # "he11" is "hell": prefer the reading that is a plain listed word.
        evasion.setdefault(next((r for r in readings if r in plain), readings[0]), entry)
    return plain, evasion, phrases


@functools.lru_cache(maxsize=8192)
def _parse_entry(entry: str) -> tuple[str, tuple[str, ...]]:
    """("plain", (key,)), ("leet", readings), ("phrase", parts) or ("none", ())."""
    # In a listed word a "+" is a t even at the end ("shi+"), where typed text ends a word.
    words = normalize(entry.replace("+", "t") if "+" in entry else entry).words
    if len(words) > 1:
        return "phrase", tuple(w.text for w in words)
    if not words:
        return "none", ()
    word = words[0]
    if word.stretched:
        # A listed word typed stretched ("xxx", "booooobs") is listed as it is.
        return "plain", ("".join(c for c in entry.casefold() if not c.isspace()),)
    if word.obfuscated or not all(c.isalpha() or c in " -" for c in entry):
        # "s0b", "s-o-b", "sh!t": these match only a word typed the same tricky way,
        # so a leet entry never turns a plain word ("sob") into a listed one.
        if len(word.text) < 3:
            return "none", ()
        return "leet", tuple(readings(word))
    return "plain", (word.text,)


def readings(word: Word) -> Iterator[str]:
    """Every reading of a word: ambiguous leet letters and stretched letters tried both ways."""
    text = word.text
    if not word.alternatives and not word.stretched:
        yield text
        return
    choices: list[tuple[str, ...]] = [(c,) for c in text]
    for i, letters in word.alternatives:
        choices[i] = (text[i], *letters)
    for i, typed in word.stretched:
        # "fuuuck" is "fuck", "asssss" is "ass", and "xxx" may be meant as typed
        choices[i] = tuple(c * n for n in dict.fromkeys((1, 2, typed)) for c in choices[i])
    yield from itertools.islice(map("".join, itertools.product(*choices)), MAX_READINGS)


def plurals(keys: dict[str, str]) -> dict[str, str]:
    """`keys` plus the plural of each listed word ("dicks", "bastards", "bitches").

    Not for short words or words ending in -s, -o or -ing, whose plurals are often
    other words ("lens", "Lesbos", "Cummings").
    """
    out = dict(keys)
    for key, entry in keys.items():
        if len(key) < 4 or key.endswith(("s", "o", "ing")) or not key.isalpha():
            continue
        out.setdefault(key + "s", entry)
        if key.endswith(("ch", "sh", "x", "z")):
            out.setdefault(key + "es", entry)
    return out


# Letters better-profanity lets stand in for others in a listed word.
_LETTER_VARIANTS = {"i": "il", "u": "uv", "v": "vu"}


def with_variants(keys: dict[str, str], allowed: set[str]) -> dict[str, str]:
    """`keys` plus each key with i written as l and u and v swapped ("shlt", "fvck")."""
    out: dict[str, str] = {}
    for key, entry in keys.items():
        if key in allowed:
            continue
        out.setdefault(key, entry)
        if not any(c in _LETTER_VARIANTS for c in key):
            continue
        choices = [_LETTER_VARIANTS.get(c, c) for c in key]
        for combo in itertools.islice(itertools.product(*choices), MAX_READINGS):
            variant = "".join(combo)
            if variant not in allowed:
                out.setdefault(variant, entry)
    return out
