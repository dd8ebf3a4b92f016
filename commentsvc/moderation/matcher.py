"""The word matcher: a listed word, whole, in the normalized text.

The list is better-profanity's (read from the installed package), plus a
site's additions, minus its allowlist. Words match whole after normalization,
so "f u c k", "fuuuck", "ｆｕｃｋ" and "sh!t" are caught while "Scunthorpe",
"assassin" and "cocktail" are not.

Most comments are clean, so `WordMatcher.find` first runs a gate made of a few
whole-string operations in C (translate, split, a set test, three regex
searches) that can only say "certainly clean" or "maybe"; the character-level
normalization with its offset map runs only for a "maybe".
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from commentsvc.models import Span
from commentsvc.moderation.censor import mask_spans
from commentsvc.moderation.normalize import (
    WILDCARD,
    Normalized,
    Word,
    fold_char,
    fold_lookalikes,
    normalize,
)

_MAX_READINGS = 256
"""Readings tried for one word (ambiguous leet and stretched letters multiply)."""
_MIN_SUBWORD = 3
"""Shortest listed word looked for inside a spelled-out run ("a f u c k i n g")."""


class Match(NamedTuple):
    """A listed word found in a text."""

    word: str
    """The entry as listed (e.g. "fuck")."""
    typed: str
    """The original text behind the match (e.g. "f u c k")."""
    span: Span
    """Where `typed` is in the original text."""


@functools.cache
def default_words() -> tuple[str, ...]:
    """better-profanity's word list, read from the installed package."""
    resource = importlib.resources.files("better_profanity").joinpath("profanity_wordlist.txt")
    lines = resource.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))


# --- the gate -----------------------------------------------------------------
# The gate turns a text into "skeleton" tokens: lower case, leet digits and
# symbols as letters, and i/l and u/v merged (each can pass for the other).
# Every word the full matcher can find shows up either as a skeleton token in
# the key set, as an adjacent pair of a listed phrase, or through one of the
# three searches (masks and inner symbols, spaced-out letters, stretched
# letters). tests/moderation/test_matcher.py checks that the gate never hides
# a match.


def _skeleton_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(128):
        ch = chr(code)
        if ch.isalnum():
            table[code] = ch.lower()
        else:
            table[code] = " "
    table.update({ord(k): v for k, v in _SKELETON_LETTERS.items()})
    table[ord("'")] = "\x1f"  # a word boundary for split(), but it breaks spaced-out runs
    table[ord("€")] = "e"
    return table


_SKELETON_LETTERS = {
    "l": "i", "L": "i", "I": "i", "v": "u", "V": "u",
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s",
}  # fmt: skip
_SKELETON = _skeleton_table()


def skeleton(text: str) -> str:
    """The gate's view of `text` (or of a normalized word)."""
    return text.translate(_SKELETON)


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_gate_fold_cache: dict[str, str] = {}


def _gate_fold_run(match: re.Match[str]) -> str:
    out = []
    for ch in match.group():
        folded = _gate_fold_cache.get(ch)
        if folded is None:
            homo = fold_char(ch)[1]
            folded = "".join(c if c.isascii() or c.isalnum() or c == "€" else " " for c in homo)
            if len(_gate_fold_cache) < 65536:
                _gate_fold_cache[ch] = folded
        out.append(folded)
    return "".join(out)


# Masks anywhere, a mention-style "@", or "!", "|", "+" used inside a word.
_GATE_SYMBOL_RE = re.compile(r"[*#@]|[!|+]+(?:[^\W_]|[$€])")
# Three one-character words in a row, one to three separators apart.
_GATE_SPACED_RE = re.compile(" [^ \x1f] {1,3}[^ \x1f] {1,3}[^ \x1f] ")
# A letter typed three times in a row.
_GATE_STRETCH_RE = re.compile(r"([^\W\d_])\1\1")


class WordMatcher:
    """A compiled word list: finds listed words in comment text."""

    def __init__(self, words: Iterable[str], allow: Iterable[str] = ()) -> None:
        allowed_words: set[str] = set()
        allowed_phrases: set[tuple[str, ...]] = set()
        for entry in allow:
            parts = tuple(w.text for w in normalize(entry).words)
            if len(parts) == 1:
                allowed_words.add(parts[0])
                allowed_words.add(fold_lookalikes(parts[0]))
            elif parts:
                allowed_phrases.add(parts)

        plain: dict[str, str] = {}
        evasion: dict[str, str] = {}
        phrases: dict[tuple[str, ...], str] = {}
        leet: list[tuple[Word, str]] = []
        for entry in words:
            entry_words = normalize(entry).words
            if len(entry_words) > 1:
                parts = tuple(w.text for w in entry_words)
                if parts not in allowed_phrases:
                    phrases.setdefault(parts, entry)
            elif entry_words:
                word = entry_words[0]
                if word.obfuscated or not all(c.isalpha() or c in " -" for c in entry):
                    # "s0b", "s-o-b", "sh!t": match only a word typed the same tricky way,
                    # so a leet entry never turns a plain word ("sob") into a listed one.
                    leet.append((word, entry))
                else:
                    plain.setdefault(word.text, entry)
        for word, entry in leet:
            if len(word.text) >= 3:
                evasion.setdefault(self._entry_key(word, plain), entry)

        self._plain = _with_variants(plain, allowed_words)
        self._evasion = {
            k: v
            for k, v in _with_variants(evasion, allowed_words).items()
            if k not in self._plain
        }
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for parts, entry in phrases.items():
            self._phrases.setdefault(parts[0], []).append((parts, entry))
        self._by_length: dict[int, str] = {}
        lengths: dict[int, list[str]] = {}
        for key in itertools.chain(plain, evasion):
            if key not in allowed_words and WILDCARD not in key:
                lengths.setdefault(len(key), []).append(key)
        self._by_length = {n: "\n".join(keys) for n, keys in lengths.items()}

        self._gate_keys = frozenset(
            skeleton(k) for key in itertools.chain(self._plain, self._evasion)
            for k in (key, fold_lookalikes(key))
        )
        self._gate_pairs = frozenset(
            (skeleton(fold_lookalikes(parts[0])), skeleton(fold_lookalikes(parts[1])))
            for parts in phrases
        ) | frozenset((skeleton(parts[0]), skeleton(parts[1])) for parts in phrases)

    @staticmethod
    def _entry_key(word: Word, plain: dict[str, str]) -> str:
        """The key for a leet entry ("he11"): the reading that is a plain listed word, if any."""
        for reading in _readings(word):
            if reading in plain:
                return reading
        return word.text

    def __len__(self) -> int:
        return len(self._plain) + len(self._evasion) + sum(map(len, self._phrases.values()))

    # --- finding ----------------------------------------------------------------

    def maybe(self, text: str) -> bool:
        """The gate: False means `text` certainly contains no listed word."""
        if not text.isascii():
            text = _NON_ASCII_RE.sub(_gate_fold_run, text)
        skel = text.translate(_SKELETON)
        tokens = skel.split()
        if not self._gate_keys.isdisjoint(tokens):
            return True
        if self._gate_pairs and not self._gate_pairs.isdisjoint(zip(tokens, tokens[1:])):
            return True
        return bool(
            _GATE_SYMBOL_RE.search(text)
            or _GATE_SPACED_RE.search(f" {skel} ")
            or _GATE_STRETCH_RE.search(text.lower())
        )

    def find(self, text: str) -> list[Match]:
        """Every listed word in `text`, in order, with its span in `text`."""
        if not self.maybe(text):
            return []
        return self.find_normalized(normalize(text))

    def contains(self, text: str) -> bool:
        return bool(self.find(text))

    def censor(self, text: str) -> str:
        """`text` with every listed word masked ("****"), all else as it was."""
        found = self.find(text)
        if not found:
            return text
        return mask_spans(text, [m.span for m in found])

    def find_normalized(self, normalized: Normalized) -> list[Match]:
        """The listed words among already normalized words (no gate)."""
        original = normalized.original
        words = normalized.words
        found: list[Match] = []
        plain = self._plain
        phrases = self._phrases
        for index, word in enumerate(words):
            text = word.text
            if phrases and text in phrases:
                for parts, entry in phrases[text]:
                    end = index + len(parts)
                    if end <= len(words) and all(
                        w.text == p for w, p in zip(words[index:end], parts, strict=True)
                    ):
                        span = Span(word.starts[0], words[end - 1].ends[-1])
                        found.append(Match(entry, original[span.start : span.end], span))
            if not (word.obfuscated or word.alternatives or word.stretched):
                entry = plain.get(text)
                if entry is not None:
                    found.append(Match(entry, original[word.starts[0] : word.ends[-1]], word.span))
                continue
            found.extend(self._match_obfuscated(word, original))
        found.sort(key=lambda m: (m.span.start, m.span.end))
        return found

    def _lookup(self, reading: str, obfuscated: bool) -> str | None:
        entry = self._plain.get(reading)
        if entry is None and obfuscated:
            entry = self._evasion.get(reading)
        if entry is None and WILDCARD in reading:
            entry = self._match_masked(reading, obfuscated)
        return entry

    def _match_obfuscated(self, word: Word, original: str) -> list[Match]:
        for reading in _readings(word):
            entry = self._lookup(reading, word.obfuscated)
            if entry is not None:
                span = word.span
                return [Match(entry, original[span.start : span.end], span)]
        if word.spelled:
            return self._match_inside(word, original)
        return []

    def _match_inside(self, word: Word, original: str) -> list[Match]:
        """Listed words inside a spelled-out run ("a f u c k i n g" holds "fucking")."""
        found: list[Match] = []
        text = word.text
        n = len(text)
        start = 0
        while start <= n - _MIN_SUBWORD:
            hit = None
            for end in range(n, start + _MIN_SUBWORD - 1, -1):
                entry = self._lookup(text[start:end], True)
                if entry is not None:
                    hit = (end, entry)
                    break
            if hit is None:
                start += 1
                continue
            end, entry = hit
            span = word.span_of(start, end)
            found.append(Match(entry, original[span.start : span.end], span))
            start = end
        return found

    def _match_masked(self, reading: str, obfuscated: bool) -> str | None:
        """A listed word that a masked reading ("f*ck") can stand for."""
        masks = reading.count(WILDCARD)
        letters = len(reading) - masks
        if letters < 2 or letters < masks:
            return None
        keys = self._by_length.get(len(reading))
        if keys is None:
            return None
        pattern = "^" + ".".join(re.escape(part) for part in reading.split(WILDCARD)) + "$"
        for match in re.finditer(pattern, keys, re.MULTILINE):
            key = match.group()
            entry = self._plain.get(key)
            if entry is None and obfuscated:
                entry = self._evasion.get(key)
            if entry is not None:
                return entry
        return None


def _readings(word: Word) -> Iterator[str]:
    """Every reading of a word: ambiguous leet letters and stretched letters tried both ways."""
    text = word.text
    if not word.alternatives and not word.stretched:
        yield text
        return
    choices: list[tuple[str, ...]] = [(c,) for c in text]
    for i, letters in word.alternatives:
        choices[i] = (text[i], *letters)
    for i in word.stretched:
        choices[i] = choices[i] + tuple(c * 2 for c in choices[i])
    for count, combo in enumerate(itertools.product(*choices)):
        if count >= _MAX_READINGS:
            return
        yield "".join(combo)


# Letters better-profanity lets stand in for others in a listed word.
_LETTER_VARIANTS = {"i": "il", "u": "uv", "v": "vu"}


def _plurals(keys: dict[str, str]) -> dict[str, str]:
    """`keys` plus the plural of each listed word ("dicks", "bastards", "bitches")."""
    out = dict(keys)
    for key, entry in keys.items():
        if len(key) < 3 or key.endswith("s") or not key.isalpha():
            continue
        out.setdefault(key + "s", entry)
        if key.endswith(("ch", "sh", "x", "z")):
            out.setdefault(key + "es", entry)
    return out


def _with_variants(keys: dict[str, str], allowed: set[str]) -> dict[str, str]:
    """`keys` plus each key with i written as l and u and v swapped ("shlt", "fvck")."""
    out: dict[str, str] = {}
    for key, entry in _plurals(keys).items():
        if key in allowed:
            continue
        out.setdefault(key, entry)
        if not any(c in _LETTER_VARIANTS for c in key):
            continue
        choices = [_LETTER_VARIANTS.get(c, c) for c in key]
        for count, combo in enumerate(itertools.product(*choices)):
            if count >= _MAX_READINGS:
                break
            variant = "".join(combo)
            if variant not in allowed:
                out.setdefault(variant, entry)
    return out


# --- module-level helpers -----------------------------------------------------


@functools.lru_cache(maxsize=256)
def compile_matcher(words_add: tuple[str, ...] = (), words_allow: tuple[str, ...] = ()) -> WordMatcher:
    """The matcher for a site's list, compiled once per (additions, allowlist)."""
    return WordMatcher((*default_words(), *words_add), words_allow)


def find(text: str) -> list[Match]:
    """Listed words of the default list in `text`."""
    return compile_matcher().find(text)


def censor(text: str) -> str:
    """`text` with the default list's words masked the way better-profanity masks them."""
    return compile_matcher().censor(text)
