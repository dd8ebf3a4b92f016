"""The word matcher: a listed word, whole, in the normalized text.

The list is better-profanity's (read from the installed package), plus a
site's additions, minus its allowlist. Words match whole after normalization,
so "f u c k", "fuuuck", "ｆｕｃｋ" and "sh!t" are caught while "Scunthorpe",
"assassin" and "cocktail" are not. Plurals of listed words count too
("bastards"), and so does a listed word before a contraction ("shit's").

Most comments are clean, so `WordMatcher.find` starts with a gate (`gate.py`)
made of whole-text operations in C that says where a listed word may be; the
character-level normalization runs only there.

Why this module is long (over the 400-line guide): the matcher's search (whole
words, plurals, compounds, contractions and allowlists) is one pass over
the normalized words, whose rules decide together whether a match stands. The
word list itself (`wordlist.py`), the gate (`gate.py`) and masks (`masks.py`)
are apart.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from commentsvc.models import Span
from commentsvc.moderation.censor import mask_spans
from commentsvc.moderation.context import innocent_matches
from commentsvc.moderation.fold import Folded, fold, fold_lookalikes
from commentsvc.moderation.forms import (
    INFLECTIONS,
    common_skeletons,
    compound_forms,
    compound_fragments,
    doubled_forms,
    fragments,
    is_strong,
    sound_forms,
    split_compound,
    undoubled_readings,
)
from commentsvc.moderation.gate import NOTHING, WHOLE, Gate, Scan, skeleton
from commentsvc.moderation.masks import (
    MaskedIndex,
    deletions,
    gap_kind,
    is_everyday,
    masked_readings,
    ordinary_compound,
)
from commentsvc.moderation.normalize import (
    WILDCARD,
    Normalized,
    Word,
    expand,
    words_in,
)
from commentsvc.moderation.vocab import is_english_word
from commentsvc.moderation.wordlist import (
    EXTRA_WORDS,
    allowed,
    default_words,
    entries,
    plurals,
    with_variants,
)
from commentsvc.moderation.wordlist import (
    readings as word_readings,
)

__all__ = [
    "EXTRA_WORDS",
    "Match",
    "WordMatcher",
    "censor",
    "compile_matcher",
    "default_words",
    "find",
]

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
    how: str = "listed"
    """How it was found: "listed", "fuzzy" (doubled letters, a sound-alike spelling),
    "compound" ("shitbag") or "joined" (split by spaces, emoji or a mask: "pri ck")."""


class WordMatcher:
    """A compiled word list: finds listed words in comment text."""

    def __init__(self, words: Iterable[str], allow: Iterable[str] = ()) -> None:
        allowed_words, allowed_phrases = allowed(allow)
        plain, evasion, phrases = entries(words, allowed_phrases)
        self._plain = with_variants(plurals(plain), allowed_words)
        """Normalized word -> listed entry, for any word."""
        self._evasion = {
            key: entry
            for key, entry in with_variants(evasion, allowed_words).items()
            if key not in self._plain
        }
        """Keys of leet entries ("s0b"): only for words typed with leet, masks or spacing."""
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._phrases_with: dict[str, list[tuple[str, ...]]] = {}
        for parts, entry in phrases.items():
            self._phrases.setdefault(parts[0], []).append((parts, entry))
            for part in set(parts):
                self._phrases_with.setdefault(part, []).append(parts)

        ordered = sorted(plain)
        rank = {
            key: bisect.bisect_left(ordered, key + "\uffff") - bisect.bisect_left(ordered, key)
            for key in ordered
        }
        """How many listed words start with each key: "fuck" has many, "fack" one."""

        heads = {
            key: entry
            for key, entry in plain.items()
            if len(key) >= 3 and key.isalpha() and key not in allowed_words
        }
        self._heads = heads
        """Listed words that may start a compound ("shit" in "shitbag")."""
        listed = {k: e for k, e in plurals(plain).items() if k not in allowed_words}
        self._masked = MaskedIndex(
            listed, {k: e for k, e in evasion.items() if k not in allowed_words}, heads, rank
        )
        """Listed words for readings with masked letters ("f*ck", "bas*ard", "tw*tface")."""
        self._allowed_words = frozenset(allowed_words)
        fuzzy: dict[str, str] = {}
        for key, entry in heads.items():
            for form in sound_forms(key):
                if form not in self._plain and form not in allowed_words:
                    fuzzy.setdefault(form, entry)
        self._fuzzy = fuzzy
        """Sound-alike spellings ("phuk", "kunt"): only for a word that is not an English one."""
        extra: set[str] = set(fuzzy)
        extra.update(form + end for form in fuzzy if len(form) >= 4 for end in "sz")
        extra.update(key + "z" for key in plain if len(key) >= 4 and key.isalpha())
        for key in itertools.chain(plain, evasion):
            if key not in allowed_words and key.isalpha():
                extra.update(doubled_forms(key))
        for key in heads:
            extra.update(compound_forms(key))
        pieces: set[str] = set()
        for key in itertools.chain(plain, evasion, fuzzy):
            if key not in allowed_words and len(key) >= 3:
                pieces.update(fragments(key))
        for key in heads:  # a split compound: "pri ckish", "s hitbag" (see `_joins`)
            pieces.update(compound_fragments(key))

        common = common_skeletons()
        # What words next to each other may join to: listed words and their forms, and
        # listed words with a letter or two left out where a mask stands between them.
        joins = {d for key in (*listed, *heads) if key.isalpha() for d in deletions(key)}
        joins = (joins | extra) - set(allowed_words)
        # (an everyday word's skeleton would send every comment down the slow path, but
        # a form of the strongest words is rare enough: "bitchy", "shitty")
        extra = {form for form in extra if skeleton(form) not in common or is_strong(form)}
        keys = {fold_lookalikes(key) for key in (*self._plain, *self._evasion)}
        keys.update(self._plain, self._evasion)
        # What `_lookup_extended` reads with letters doubled (`undoubled_readings`).
        doubled = set(itertools.chain(self._plain, self._fuzzy, self._evasion))
        doubled -= set(allowed_words)
        # The strongest words split in two everyday words, neither listed ("who re").
        strong = {
            (key[:cut], key[cut:])
            for key in self._plain
            if key.isalpha() and is_strong(self._plain[key])
            for cut in range(1, len(key))
        }
        pairs = [
            f"{a} {b}"
            for a, b in strong
            if is_everyday(a) and is_everyday(b) and a not in self._plain and b not in self._plain
        ]
        self._gate = Gate(keys, list(phrases), extra, pieces, doubled, joins, pairs)

    def __len__(self) -> int:
        return len(self._plain) + len(self._evasion) + sum(map(len, self._phrases.values()))

    def find(self, text: str) -> list[Match]:
        """Every listed word in `text`, in order, with its span in `text`."""
        scan = self._gate.scan(text)
        if scan is NOTHING or not (scan.words or scan.spelling or scan.pieces):
            return []
        folded = fold(text) if scan.folded is None else scan.folded
        if scan.spelling is WHOLE:
            return self.find_normalized(Normalized(text, tuple(words_in(folded))))
        return innocent_matches(text, self._find_windows(text, folded, scan))

    def _find_windows(self, text: str, folded: Folded, scan: Scan) -> list[Match]:
        # Normalize only around the suspects: words whose skeleton is listed, and odd
        # spelling (with the words around it when it may be part of a listed phrase).
        # A listed word with the words next to it (they may join it: "bull shit"); a
        # piece of one with two words either side ("a right pri ck").
        windows = [expand(folded, a, b, 1) for a, b in scan.words]
        windows += [expand(folded, a, b, 2) for a, b in scan.pieces]
        known: dict[tuple[int, int], list[Word]] = {}
        if scan.spelling:
            spelled = _merge(expand(folded, a, b, 1) for a, b in _merge(scan.spelling))
            known = {(a, b): words_in(folded, a, b) for a, b in spelled}
            if self._phrase_may_reach(known.values(), scan.phrase_words):
                reach = max(1, self._gate.phrase_reach)
                spelled = [expand(folded, a, b, reach) for a, b in scan.spelling]
            windows += spelled
        found: list[Match] = []
        simple = folded.starts is None and folded.homo is folded.plain
        for start, end in _merge(windows):
            words = known.get((start, end))
            if words is None:
                word = folded.plain[start:end]
                if simple and word.isalpha() and not _STRETCH_RE.search(word):
                    # A plain word alone, where the folded text is the original's: no
                    # need to normalize it further.
                    found.extend(self._match_words(text, [_plain_word(word, start)]))
                    continue
                words = words_in(folded, start, end)
            found += self._match_words(text, words)
        return _outermost(found) if len(found) > 1 else found

    def _phrase_may_reach(self, spelled: Iterable[list[Word]], around: frozenset[str]) -> bool:
        """Whether an oddly spelled word and the words around it may make a listed phrase."""
        texts = {w.text for words in spelled for w in words}
        candidates = [p for text in texts for p in self._phrases_with.get(text, ())]
        if not candidates:
            return False
        around = around | {skeleton(text) for text in texts}
        return any(all(skeleton(part) in around for part in parts) for parts in candidates)

    def maybe(self, text: str) -> bool:
        """The gate alone: False means `text` certainly contains no listed word."""
        scan = self._gate.scan(text)
        return bool(scan.words or scan.spelling)

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
        return innocent_matches(
            normalized.original, self._match_words(normalized.original, normalized.words)
        )

    def _match_words(self, original: str, words: Sequence[Word]) -> list[Match]:
        found: list[Match] = []
        plain = self._plain
        heads = self._phrases
        broken = _broken_words(original, words, plain) if "\n" in original else frozenset()
        for index, word in enumerate(words):
            text = word.text
            if text in heads:
                found.extend(self._match_phrases(original, words, index))
            if index + 1 < len(words):
                found.extend(self._joins(original, words, index))
            if index in broken:
                continue  # half of a word hyphenated at a line break ("cock-⏎erel")
            end = word.ends[-1]
            if original[end : end + 1] in _TRAILING and text:
                trailing = self._trailing_leet(original, word)
                if trailing is not None:
                    found.append(trailing)
                    continue
            if not (word.obfuscated or word.alternatives or word.stretched):
                entry = plain.get(text)
                if entry is not None:
                    found.append(_match(original, entry, word.span))
                    continue
                if text in self._allowed_words:
                    continue
                extended = self._lookup_extended(text, obfuscated=False)
                if extended is not None:
                    found.append(_match(original, extended[0], word.span, extended[1]))
                continue
            found.extend(self._match_obfuscated(word, original))
        if len(found) > 1:
            found = _outermost(found)
        return found

    def _trailing_leet(self, original: str, word: Word) -> Match | None:
        """A listed word whose last letters are typed as "+", "!" or "|" after it, which
        end a word in plain text ("tw@+", "$h!+", "shi+"): only with a "+" among them."""
        end = word.ends[-1]
        tail = _TRAILING_RE.match(original, end)
        if tail is None or "+" not in tail.group():
            return None
        typed = tail.group()
        # "as5h4+!": the "+" a t, the "!" the end of a sentence
        for cut in range(len(typed), 0, -1):
            if "+" not in typed[:cut]:
                break
            reading = word.text + typed[:cut].translate(_TRAILING_LETTERS)
            entry = self._lookup(reading, True)
            if entry is not None and reading not in self._allowed_words:
                return _match(original, entry, Span(word.starts[0], end + cut))
        return None

    def _match_phrases(self, original: str, words: Sequence[Word], index: int) -> list[Match]:
        found = []
        for parts, entry in self._phrases[words[index].text]:
            end = index + len(parts)
            if end <= len(words) and all(
                w.text == p and not w.contracted
                for w, p in zip(words[index:end], parts, strict=True)
            ):
                span = Span(words[index].starts[0], words[end - 1].ends[-1])
                found.append(_match(original, entry, span))
        return found

    def _lookup(self, reading: str, obfuscated: bool) -> str | None:
        entry = self._plain.get(reading)
        if entry is None and obfuscated:
            entry = self._evasion.get(reading)
        if entry is None and WILDCARD in reading:
            entry = self._masked.entry(reading, obfuscated)
        return entry

    def _match_obfuscated(self, word: Word, original: str) -> list[Match]:
        readings = list(word_readings(word))
        if not self._allowed_words.isdisjoint(readings):
            return []  # an allowed word typed stretched or in leet ("helllo", "he11")
        for reading in readings:
            entry = self._lookup(reading, word.obfuscated)
            if entry is not None:
                return [_match(original, entry, word.span)]
        for reading in readings[:_EXTENDED_READINGS]:
            extended = self._lookup_extended(reading, obfuscated=word.obfuscated)
            if extended is not None:
                return [_match(original, extended[0], word.span, extended[1])]
        if word.spelled:
            return self._match_inside(word, original)
        return []

    def _lookup_extended(self, text: str, *, obfuscated: bool) -> tuple[str, str] | None:
        """(entry, how) for a word that is not listed as typed: a sound-alike spelling,
        doubled letters or a compound of a listed stem. Never for an English word."""
        if len(text) < 3 or text in self._allowed_words:
            return None
        compound = split_compound(text, self._heads)
        if compound is not None:
            return compound[0], "compound"
        if is_english_word(text, 3.0):
            return None
        entry = self._fuzzy.get(text)
        if entry is None and len(text) >= 5 and text[-1] in "sz":
            # the plural of a sound-alike spelling, or a plural in "z" ("wankas", "wankerz")
            entry = self._fuzzy.get(text[:-1])
            if entry is None and text[-1] == "z":
                entry = self._plain.get(text[:-1])
        if entry is not None:
            return entry, "fuzzy"
        for reading in undoubled_readings(text):
            if reading in self._allowed_words:
                return None
            entry = self._plain.get(reading) or self._fuzzy.get(reading)
            if entry is None and obfuscated:
                entry = self._evasion.get(reading)
            if entry is not None:
                return entry, "fuzzy"
        return None

    def _joins(self, original: str, words: Sequence[Word], index: int) -> list[Match]:
        """Listed words split over two or three words: by spaces, a line break, an emoji
        ("pri🙄ck") or a mask standing for letters ("b—tch", "tw%t", "bas_ard")."""
        found: list[Match] = []
        texts = [words[index].text]
        if not texts[0] or texts[0].isdigit():
            return found
        kinds: list[str] = []
        for k in (1, 2):
            j = index + k
            if j >= len(words) or not words[j].text:
                break
            left, right = words[j - 1], words[j]
            gap = original[left.ends[-1] : right.starts[0]]
            kind = gap_kind(gap)
            if kind is None or right.text.isdigit():
                break
            if kind == "mask" and ordinary_compound(left.text, gap, right.text):
                kind = "compound"  # "co-operate", "re-sit": two words, no letter masked
            kinds.append(kind)
            joined = [t + right.text for t in texts]
            if kind == "mask":
                joined += [r for t in texts for r in masked_readings(t, gap, right.text)]
            texts = joined
            parts = words[index : j + 1]
            if kind == "break" and "\n" in gap and _capitalised(original, right):
                kinds[-1] = "space"  # a new line that starts a sentence: "the bell⏎End..."
            mode = self._join_mode(parts, kinds)
            if mode is None or (mode == "strong" and original[right.ends[-1] :][:1] == "-"):
                continue  # "who re-sit": a prefix, not a piece
            span = Span(words[index].starts[0], right.ends[-1])
            for text in texts:
                entry = self._plain.get(text) or self._evasion.get(text)
                if mode == "strong" and (entry is None or not is_strong(entry)):
                    continue
                how = "joined"
                if entry is None and WILDCARD in text:
                    entry = self._masked.entry(text, True, strict=True)
                if entry is None and not is_english_word(text, 3.0):
                    entry = self._fuzzy.get(text)
                if entry is None:
                    compound = split_compound(text, self._heads)
                    if compound is not None and _tail_may_join(compound[1], parts):
                        entry = compound[0]
                if entry is not None and text not in self._allowed_words:
                    found.append(_match(original, entry, span, how))
                    break
        return found

    def _join_mode(self, parts: Sequence[Word], kinds: Sequence[str]) -> str | None:
        """Whether pieces may join: "any" listed word for pieces that are not all everyday
        words ("pri ck", "tos ser"), for pieces parted by a mask or a hyphen at a line
        break ("as%hole", "bell-⏎end"), or for a listed word with more of it ("bull
        shit", "dick head"); only the strongest listed words ("who re", "bulls⏎hit")
        for everyday words apart by spaces or a line break, as "the pen⏎is" may be."""
        texts = [w.text for w in parts]
        if any(not is_everyday(t) and t not in self._plain for t in texts):
            return "any"
        if all(kind in ("mask", "hyphenated") for kind in kinds):
            return "any"
        listed = [t in self._plain for t in texts]
        # a listed word with more of it: "bull shit", "shit bag", "fuck-up"; not "tit is"
        least = 2 if "space" not in kinds else 3
        if any(listed) and all(
            len(t) >= least and t not in INFLECTIONS
            for t, known in zip(texts, listed, strict=True)
            if not known
        ):
            return "any"
        if "compound" in kinds:
            return None  # "co-operate", "pen_is": two words
        return "strong"

    def _match_inside(self, word: Word, original: str) -> list[Match]:
        """Listed words inside a spelled-out run ("a f u c k i n g" holds "fucking")."""
        found: list[Match] = []
        text = word.text
        start = 0
        while start <= len(text) - _MIN_SUBWORD:
            for end in range(len(text), start + _MIN_SUBWORD - 1, -1):
                entry = self._lookup(text[start:end], True)
                if entry is not None:
                    found.append(_match(original, entry, word.span_of(start, end)))
                    start = end
                    break
            else:
                start += 1
        return found


_STRETCH_RE = re.compile(r"([^\W\d_])\1\1")


def _match(original: str, entry: str, span: Span, how: str = "listed") -> Match:
    return Match(entry, original[span.start : span.end], span, how)


_EXTENDED_READINGS = 16
_TRAILING = frozenset("+!|")
_TRAILING_RE = re.compile(r"[+!|]{1,2}(?![^\W_])")
_TRAILING_LETTERS = str.maketrans("+!|", "tii")


def _plain_word(word: str, start: int) -> Word:
    """A plain lower-case word of the original text as a `Word`."""
    return Word(word, range(start, start + len(word)), range(start + 1, start + len(word) + 1))


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _outermost(found: list[Match]) -> list[Match]:
    """Sorted by position, without matches inside a longer one ("ass" in "ass-fucker")."""
    found.sort(key=lambda m: (m.span.start, -m.span.end))
    kept: list[Match] = []
    for match in found:
        if kept and match.span.end <= kept[-1].span.end:
            continue
        kept.append(match)
    return kept


@functools.lru_cache(maxsize=256)
def compile_matcher(
    words_add: tuple[str, ...] = (), words_allow: tuple[str, ...] = ()
) -> WordMatcher:
    """The matcher for a site's list, compiled once per (additions, allowlist)."""
    return WordMatcher((*default_words(), *words_add), words_allow)


def _broken_words(original: str, words: Sequence[Word], listed: dict[str, str]) -> frozenset[int]:
    """The words that are halves of an English word hyphenated at a line break (one
    that is not listed: "bell-⏎end" is "bellend")."""
    broken: set[int] = set()
    for i in range(len(words) - 1):
        left, right = words[i], words[i + 1]
        gap = original[left.ends[-1] : right.starts[0]]
        joined = left.text + right.text
        if gap_kind(gap) == "hyphenated" and is_english_word(joined, 1.0) and joined not in listed:
            broken.update((i, i + 1))
    return frozenset(broken)


def _capitalised(original: str, word: Word) -> bool:
    """Whether a word is typed with a capital and then lower case ("End", not "END")."""
    typed = original[word.starts[0] : word.ends[-1]]
    return typed[:1].isupper() and not typed.isupper()


def _tail_may_join(tail: str, parts: Sequence[Word]) -> bool:
    """Whether a split compound's tail is one the gate looks for: an inflection
    ("pri ckish") or its own word(s) ("s hit bag"); see `forms.compound_fragments`."""
    if tail in INFLECTIONS:
        return True
    return any(tail == "".join(w.text for w in parts[m:]) for m in range(1, len(parts)))


def find(text: str) -> list[Match]:
    """Listed words of the default list in `text`."""
    return compile_matcher().find(text)


def censor(text: str) -> str:
    """`text` with the default list's words masked the way better-profanity masks them."""
    return compile_matcher().censor(text)
