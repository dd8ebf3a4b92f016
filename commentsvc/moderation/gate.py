"""The matcher's gate: where in a text a listed word may be, found in C.

Normalizing a comment character by character costs about a microsecond per
word in Python, and most comments are clean. The gate finds the places worth
normalizing with a few operations on the whole text that run in C:

- a *skeleton* of the text (one `bytes.translate`): lower case, leet digits and
  "$" as letters, l/i and u/v merged (each passes for the other), apostrophes
  dropped, masks "*#@%^~" as a marker byte, "!|+" as a separator of their own;
- its tokens (`split`) intersected with one set: the skeletons of every listed
  word (and with a contraction ending: "shits"), one word of each listed
  phrase, and the one-letter words a spelled-out word is made of;
- byte tests for masks and for "!" inside a word, and for a letter three times
  in a row (big-integer arithmetic: the text XOR itself shifted by a byte);
- the tokens that change when every run of a letter is squeezed to one
  (one regex pass), against the squeezed skeletons of the listed words: a word
  with its letters doubled anywhere ("ffucckeer") is normalized whole.

A clean comment stops there. For the rest, `Gate.scan` gives the ranges to
normalize. Every word the full matcher can find is in one of them (or the scan
says `WHOLE`): tests/moderation/test_matcher.py holds the gate to that.

Why this module is long (over the 400-line guide): it is one pipeline, skeleton,
tokens, joins of split pieces, masked pieces, checked in that order against tables
built together from the word list at start-up; each step reads the tables the
previous one built, and the speed comes from keeping them in one place. Parts
that stand alone are modules of their own (`masks.py`, `wordlist.py`).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TypeVar

from commentsvc.moderation.fold import (
    Folded,
    fold,
    fold_leet,
    fold_lookalikes,
    fold_to_ascii,
    multi_leet,
)
from commentsvc.moderation.forms import common_skeletons
from commentsvc.moderation.normalize import CONTRACTIONS
from commentsvc.moderation.vocab import is_english_word

Window = tuple[int, int]
_T = TypeVar("_T", str, bytes)
WHOLE: list[Window] = [(0, 0)]
"""`Scan.spelling` when a listed phrase may be there: normalize the whole text."""


class Scan(NamedTuple):
    """What the gate found in a text. Ranges are in the folded text."""

    folded: Folded | None
    """The folded text, or None for ASCII text not folded yet."""
    words: list[Window]
    """Around words whose skeleton is a listed word's."""
    spelling: list[Window]
    """Around odd spelling: masks, symbols inside words, spaced-out or stretched letters.

    `WHOLE` when the whole text must be normalized."""
    phrase_words: frozenset[str] = frozenset()
    """Skeletons of words of listed phrases among the words, when the spelling is odd."""
    pieces: list[Window] = []  # noqa: RUF012 (never mutated)
    """Around pieces of a listed word, which may be split ("pri ck") or masked ("b—tch")."""


MARK = "\x01"
"""A mask or "@" in the skeleton."""
_BREAK = "\x0c"  # "!", "|" or "+" in the skeleton (whitespace to split())


def _skeleton_map() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(128):
        ch = chr(code)
        table[ch] = ch.lower() if ch.isalnum() else " "
    table.update(
        {"l": "i", "L": "i", "I": "i", "v": "u", "V": "u", "0": "o", "1": "i", "3": "e",
         "4": "a", "5": "s", "7": "t", "8": "b", "6": "g", "9": "g", "$": "s",
         "*": MARK, "#": MARK, "@": MARK, "%": MARK, "^": MARK, "~": MARK,
         "!": _BREAK, "|": _BREAK, "+": _BREAK}
    )  # fmt: skip
    return table


_MAP = _skeleton_map()
_SKELETON = str.maketrans({**_MAP, "'": None})
_SKELETON_BYTES = bytes(ord(_MAP[chr(code)]) for code in range(128)) + b" " * 128


def skeleton(text: str) -> str:
    """The gate's view of `text` (or of a normalized word)."""
    return text.translate(_SKELETON)


def squeeze(text: str) -> str:
    """Every run of one letter as one letter ("ffucckeer" → "fucker")."""
    return _SQUEEZE_RE.sub(r"\1", text)


_SEPARATORS = f" {_BREAK}"
# Three or more one-character words in a row, one to ten separators apart.
_SPACED_RE = re.compile("[ \x0c][^ \x0c](?:[ \x0c]{1,10}[^ \x0c]){2,}[ \x0c]")
_SPACED_BYTES_RE = re.compile(b"[ \x0c][^ \x0c](?:[ \x0c]{1,10}[^ \x0c]){2,}[ \x0c]")
_APOSTROPHE_RE = re.compile("'")
_APOSTROPHE_BYTES_RE = re.compile(b"'")
_MASK_RE = re.compile(r"[*#@%^~]")
_MASK_BYTES_RE = re.compile(rb"[*#@%^~]")
# "!", "|" or "+" followed by a letter: inside a word ("sh!t", "sh!'t").
_INNER_RE = re.compile(r"[!|+][!|+']*(?:[^\W_]|[@$*#])")
_INNER_BYTES_RE = re.compile(rb"[!|+][!|+']*[A-Za-z0-9@$*#]")
# A word ending in "+" ("shi+", "tw@+", "$h!+"): the matcher reads it as a t.
_TRAILING_RE = re.compile(r"(?:[^\W_]|[@$*#])[!|]?\+[!|+]?(?![^\W_])")
_TRAILING_BYTES_RE = re.compile(rb"[A-Za-z0-9@$*#][!|]?\+[!|+]?(?![A-Za-z0-9])")
_STRETCH_RE = re.compile(r"([^\W\d_])\1\1")
_SQUEEZE_RE = re.compile(r"([^\W\d_])\1+")
_SQUEEZE_BYTES_RE = re.compile(rb"([a-z])\1+")
# ASCII letters in lower case, anything else 0x80.
_LETTERS = bytes((c | 0x20) if chr(c).isascii() and chr(c).isalpha() else 0x80 for c in range(256))
# 0x80 in every byte, longer than any comment (an & costs the shorter operand's length).
_HIGH_BITS = int.from_bytes(b"\x80" * 65536, "little")


NOTHING = Scan(None, [], [])
"""The scan of a text with nothing suspect in it."""


def _key_re(key: str) -> re.Pattern[str]:
    return re.compile(re.escape(key) + "(?![^ \x0c])")


def _key_bytes_re(key: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(key) + b"(?![^ \x0c])")


class Gate:
    """The gate for one compiled word list."""

    def __init__(
        self,
        keys: Iterable[str],
        phrases: Sequence[tuple[str, ...]],
        forms: Iterable[str] = (),
        pieces: Iterable[str] = (),
        doubled: Iterable[str] = (),
        joins: Iterable[str] = (),
        split_pairs: Iterable[str] = (),
    ) -> None:
        """`doubled`: the words the matcher also reads with letters doubled; `joins`:
        what else two words next to each other may join to (a listed word with a
        letter masked between them: "bas" + "ard"); `split_pairs`: two everyday words
        one space apart that the matcher joins ("who re")."""
        squeezed = {squeeze(skeleton(word)) for word in doubled} - {""}
        # ... and with a contraction ending ("ffucckeer't")
        squeezed |= {squeeze(word + skeleton(tail)) for word in squeezed for tail in CONTRACTIONS}
        self._squeezed = frozenset(squeezed)
        self._squeezed_b = _ascii_bytes(self._squeezed)
        self._everyday = common_skeletons()
        self._everyday_b = _ascii_bytes(self._everyday)
        words = {skeleton(key) for key in keys}
        words.discard("")
        exempt = _exempt_singles(words)
        tails = [skeleton(tail) for tail in CONTRACTIONS]
        words |= {word + tail for word in words for tail in tails}
        # Compounds, doubled letters and sound-alikes: whole words like the keys.
        words |= {skeleton(form) for form in forms}
        words.discard("")
        self._pieces = frozenset(skeleton(p) for p in pieces) - words - {""}
        self._pieces_b = _ascii_bytes(self._pieces)
        # The first two words of each phrase (a word with a contraction is not part of
        # one), looked for only when the longer of the two is there ("blow").
        pairs = {
            (skeleton(form(parts[0])), skeleton(form(parts[1])))
            for parts in phrases
            for form in (str, _lookalikes_folded)
        }
        triggers = {max(pair, key=len) for pair in pairs}
        self._phrase_reach = max((len(parts) - 1 for parts in phrases), default=0)
        self._phrase_parts = frozenset(
            skeleton(form(part))
            for parts in phrases
            for part in parts
            for form in (str, _lookalikes_folded)
        )
        self._phrase_parts_b = _ascii_bytes(self._phrase_parts)
        singles = {_MAP[chr(c)] for c in range(128)} - {" ", _BREAK}
        singles -= exempt

        self._words = frozenset(words)
        self._pairs = frozenset(pairs)
        self._triggers = frozenset(triggers)
        self._singles = frozenset(singles)
        self._any = self._words | self._triggers | self._singles | self._pieces
        self._words_b = _ascii_bytes(self._words)
        self._pairs_b = frozenset(
            (a.encode(), b.encode()) for a, b in pairs if a.isascii() and b.isascii()
        )
        self._triggers_b = _ascii_bytes(self._triggers)
        partners: dict[bytes, set[bytes]] = {}
        for a, b in self._pairs_b:
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        self._partners_b = {t: frozenset(partners.get(t, ())) for t in self._triggers_b}
        self._singles_b = _ascii_bytes(self._singles)
        self._any_b = self._words_b | self._triggers_b | self._singles_b | self._pieces_b
        self._split_pairs = tuple(sorted({skeleton(p) for p in split_pairs}))
        self._split_pairs_b = tuple(p.encode() for p in self._split_pairs if p.isascii())
        self._joins = (self._words | {skeleton(j) for j in joins}) - {""}
        self._joins_b = _ascii_bytes(self._joins)
        self._key_res: dict[str, re.Pattern[str]] = {}
        self._key_bytes_res: dict[bytes, re.Pattern[bytes]] = {}

    @property
    def phrase_reach(self) -> int:
        """How many words a listed phrase reaches past one of its words."""
        return self._phrase_reach

    def scan(self, text: str) -> Scan:
        """Where in `text` a listed word may be (see `Scan`)."""
        leet = multi_leet(text)
        if leet is not text:
            scan = self._scan_text(leet)
            if scan.folded is not None:
                return scan._replace(folded=scan.folded._replace(original=text))
            if scan is NOTHING:
                return scan
            return scan._replace(folded=fold_leet(text, leet))
        return self._scan_text(text)

    def _scan_text(self, text: str) -> Scan:
        if text.isascii():
            return self._scan_bytes(text.encode("ascii"), None)
        # An emoji may part a word anywhere ("who💩re"): try every two words together.
        emoji = _EMOJI_RE.search(text) is not None
        simple = fold_to_ascii(text)
        if simple is not None:
            scan = self._scan_bytes(simple, None, emoji)
            if not scan.words and not scan.spelling:
                return scan
            low = simple.decode("ascii").lower()
            return scan._replace(folded=Folded(text, low, low, None, None, True))
        folded = fold(text, simple=False)
        if folded.homo.isascii():
            return self._scan_bytes(folded.homo.encode("ascii"), folded, emoji)
        return self._scan_str(folded, emoji)

    def _scan_bytes(self, data: bytes, folded: Folded | None, emoji: bool = False) -> Scan:
        skel = data.translate(_SKELETON_BYTES, b"'")
        tokens = skel.split()
        found = self._any_b.intersection(tokens)
        # A letter three times in a row? (big-integer arithmetic instead of a loop)
        letters = data.translate(_LETTERS, b"'")  # apostrophes go, as in a word
        n = int.from_bytes(letters, "little")
        same = n ^ (n >> 8)  # byte i is zero where letters[i] == letters[i + 1]
        # ... and letters[i + 2], and it is a letter (high bit clear)
        runs = (same | (same >> 8) | (n & _HIGH_BITS)).to_bytes(len(letters), "little")
        stretched = 0 in runs
        doubled = self._doubled_bytes(data, skel, tokens)
        # Two words apart by a mask, a line break or spaces that join to a listed word
        # ("bas_ard", "bulls⏎hit"); two words apart by one space are `pieces`.
        split: list[Window] = []
        if emoji:
            if not self._joins_b.isdisjoint(map(bytes.__add__, tokens, tokens[1:])):
                split = _pairs_joining(skel, self._joins_b, _apostrophe_shift(data))
        else:
            shape = data.translate(_GAP_SHAPE)
            if (
                b"a-a" in shape
                or b"a--a" in shape
                or b"a---a" in shape
                or b"a  " in shape
                or (b"\n" in shape)
            ):
                split = self._odd_gaps_bytes(data)
        for pair in self._split_pairs_b:
            if pair in skel:
                split += _whole_places(skel, pair, _apostrophe_shift(data))
        if (
            not found
            and not stretched
            and not doubled
            and not split
            and 1 not in skel
            and 12 not in skel
        ):
            return NOTHING  # most comments end here
        words: list[Window] = doubled
        spelling: list[Window] = []
        pieces: list[Window] = []
        pieces += split
        apostrophes = b"'" in data
        shift = None
        if found:
            triggers = found & self._triggers_b
            if (
                triggers
                and any(p in skel for t in triggers for p in self._partners_b[t])
                and _pairs_around(skel, triggers, self._pairs_b, b"\x01")
            ):
                return Scan(folded, words, WHOLE)
            keys = found & self._words_b
            singles = found & self._singles_b
            pieces_found = found & self._pieces_b
            if apostrophes and (keys or singles or pieces_found):
                shift = _apostrophe_shift(data)
            if pieces_found:
                pieces += _pieces_joining(skel, pieces_found, self._joins_b, shift)
            for key in keys:
                pattern = self._key_bytes_res.get(key)
                if pattern is None:
                    pattern = self._key_bytes_res.setdefault(key, _key_bytes_re(key))
                for m in pattern.finditer(skel):
                    if m.start() == 0 or skel[m.start() - 1] in (32, 12):
                        words.append(_unshift(shift, m.start(), m.end()))
            if singles:
                spelling.extend(_unshift(shift, a, b) for a, b in _spaced_around(skel, singles))
        if 1 in skel:
            spelling.extend(m.span() for m in _MASK_BYTES_RE.finditer(data))
        if 12 in skel:
            spelling.extend(m.span() for m in _INNER_BYTES_RE.finditer(data))
            if 43 in data:  # "+" after a word may be a t ("shi+", "tw@+")
                spelling.extend(m.span() for m in _TRAILING_BYTES_RE.finditer(data))
        if stretched:
            if shift is None and apostrophes:
                shift = _apostrophe_shift(data)
            at = runs.find(0)
            while at >= 0:
                spelling.append(_unshift(shift, at, at + 3))
                at = runs.find(0, at + 1)
        if not words and not spelling and not pieces:
            return NOTHING
        return self._done(folded, words, spelling, tokens, skel)._replace(pieces=pieces)

    def _odd_gaps_bytes(self, data: bytes) -> list[Window]:
        """Around two words apart by a mask, a line break or spaces that join to a
        listed word or one with a letter or two masked ("bas_ard", "bulls⏎hit")."""
        windows = []
        last_right = -1
        for m in _ODD_GAP_BYTES.finditer(data):
            if m.start(1) == last_right:
                # three pieces ("s.$'$.$", "mother-in-law"): the matcher may read two masks
                windows.append((m.start(1), m.end(2)))
            last_right = m.start(2)
            left = m.group(1).translate(_SKELETON_BYTES, b"'")
            right = m.group(2).translate(_SKELETON_BYTES, b"'")
            if left + right in self._joins_b:
                windows.append((m.start(1), m.end(2)))
        return windows

    def _doubled_bytes(self, data: bytes, skel: bytes, tokens: list[bytes]) -> list[Window]:
        """Around words that are listed words with letters doubled ("ttosseerr"). Words
        whose skeleton is an everyday word's ("will", "assess") are not looked at: the
        matcher reads no doubled spelling into an English word."""
        if not self._squeezed_b:
            return []
        rare = list(set(tokens).difference(self._everyday_b))
        if not rare:
            return []
        joined = b" ".join(rare)
        one = _SQUEEZE_BYTES_RE.sub(rb"\1", joined)
        if len(one) == len(joined) or self._squeezed_b.isdisjoint(one.split()):
            return []
        squeezed = one.split()
        suspects = [t for t, q in zip(rare, squeezed, strict=True) if q in self._squeezed_b]
        shift = _apostrophe_shift(data)
        windows = []
        for token in suspects:
            pattern = self._key_bytes_res.get(token)
            if pattern is None:
                pattern = self._key_bytes_res.setdefault(token, _key_bytes_re(token))
            for m in pattern.finditer(skel):
                if m.start() == 0 or skel[m.start() - 1] in (32, 12):
                    start, end = _unshift(shift, m.start(), m.end())
                    if not _plain_everyday(data[start:end].decode("ascii")):
                        windows.append((start, end))
        return windows

    def _doubled_str(self, view: str, skel: str, tokens: list[str]) -> list[Window]:
        """`_doubled_bytes` for text that is not ASCII."""
        if not self._squeezed:
            return []
        rare = list(set(tokens).difference(self._everyday))
        squeezed = [squeeze(t) for t in rare]
        suspects = [t for t, q in zip(rare, squeezed, strict=True) if q in self._squeezed]
        shift = _apostrophe_shift(view) if suspects else None
        windows = []
        for token in suspects:
            pattern = self._key_res.get(token)
            if pattern is None:
                pattern = self._key_res.setdefault(token, _key_re(token))
            for m in pattern.finditer(skel):
                if m.start() == 0 or skel[m.start() - 1] in _SEPARATORS:
                    start, end = _unshift(shift, m.start(), m.end())
                    if not _plain_everyday(view[start:end]):
                        windows.append((start, end))
        return windows

    def _done(
        self,
        folded: Folded | None,
        words: list[Window],
        spelling: list[Window],
        tokens: list[bytes] | list[str],
        skel: bytes | str,
    ) -> Scan:
        """The scan, with the words of listed phrases there if the spelling is odd."""
        if not spelling or not self._phrase_parts:
            return Scan(folded, words, spelling)
        if isinstance(skel, bytes):
            found = {p.decode("ascii") for p in self._phrase_parts_b.intersection(tokens)}
            if 1 in skel:  # "*ass" is "ass" next to a mask
                unmasked = skel.replace(b"\x01", b" ").split()
                found |= {p.decode("ascii") for p in self._phrase_parts_b.intersection(unmasked)}
        else:
            found = set(self._phrase_parts.intersection(tokens))
            if MARK in skel:
                found |= self._phrase_parts.intersection(skel.replace(MARK, " ").split())
        return Scan(folded, words, spelling, frozenset(found))

    def _scan_str(self, folded: Folded, emoji: bool = False) -> Scan:
        view = folded.homo
        skel = view.translate(_SKELETON)
        tokens = skel.split()
        words: list[Window] = self._doubled_str(view, skel, tokens)
        spelling: list[Window] = []
        pieces: list[Window] = []
        shift = _apostrophe_shift(view)
        for pair in self._split_pairs:
            if pair in skel:
                pieces += _whole_places(skel, pair, shift)
        if emoji:
            if not self._joins.isdisjoint(map(str.__add__, tokens, tokens[1:])):
                pieces += _pairs_joining(skel, self._joins, shift)
        elif _ODD_GAP.search(view) is not None:
            last_right = -1
            for m in _ODD_GAP.finditer(view):
                chained = m.start(1) == last_right  # three pieces: see `_odd_gaps_bytes`
                last_right = m.start(2)
                if chained or skeleton(m.group(1)) + skeleton(m.group(2)) in self._joins:
                    pieces.append((m.start(1), m.end(2)))
        if not self._any.isdisjoint(tokens):
            found = self._any.intersection(tokens)
            triggers = found & self._triggers
            if triggers and _pairs_around(skel, triggers, self._pairs, MARK):
                return Scan(folded, words, WHOLE)
            for key in found & self._words:
                pattern = self._key_res.get(key)
                if pattern is None:
                    pattern = self._key_res.setdefault(key, _key_re(key))
                for m in pattern.finditer(skel):
                    if m.start() == 0 or skel[m.start() - 1] in _SEPARATORS:
                        words.append(_unshift(shift, m.start(), m.end()))
            pieces_found = found & self._pieces
            if pieces_found:
                pieces += _pieces_joining(skel, pieces_found, self._joins, shift)
        # Letters of any script can be spelled out here: no set of single letters.
        for m in _SPACED_RE.finditer(f" {skel} "):
            spelling.append(_unshift(shift, m.start(), m.end() - 2))
        if MARK in skel:
            spelling.extend(m.span() for m in _MASK_RE.finditer(view))
        if _BREAK in skel:
            spelling.extend(m.span() for m in _INNER_RE.finditer(view))
            if "+" in view:
                spelling.extend(m.span() for m in _TRAILING_RE.finditer(view))
        for form in {folded.plain, view}:
            for m in _STRETCH_RE.finditer(form.replace("'", "")):
                spelling.append(_unshift(shift, m.start(), m.end()))
        return self._done(folded, words, spelling, tokens, skel)._replace(pieces=pieces)


# One-character words common in prose (digits read as letters among them), most
# common first: a spelled-out word need not be looked for when these are all
# the one-letter words there are, unless a listed word is made of them alone.
_COMMON_SINGLES = "ai2693eobts"


def _exempt_singles(words: Iterable[str]) -> set[str]:
    exempt: set[str] = set()
    for ch in _COMMON_SINGLES:
        candidate = exempt | {_MAP[ch]}
        if not any(set(word) <= candidate for word in words):
            exempt = candidate
    return exempt


def _lookalikes_folded(text: str) -> str:
    return fold_lookalikes(fold(text).plain)


def _ascii_bytes(items: Iterable[str]) -> frozenset[bytes]:
    return frozenset(item.encode() for item in items if item.isascii())


def _pairs_around(
    skel: _T, triggers: Iterable[_T], pairs: frozenset[tuple[_T, _T]], mark: _T
) -> bool:
    """Whether a trigger word stands next to its partner in a listed phrase.

    Masks alone ("fuck * ass") are not words and do not part a phrase.
    """
    for trigger in triggers:
        at = skel.find(trigger)
        while at >= 0:
            end = at + len(trigger)
            whole = (at == 0 or skel[at - 1 : at].isspace()) and (
                end == len(skel) or skel[end : end + 1].isspace()
            )
            if whole:
                before = _words(skel[max(0, at - 64) : at], mark) or _words(skel[:at], mark)
                after = _words(skel[end : end + 64], mark) or _words(skel[end:], mark)
                if (before and (before[-1], trigger) in pairs) or (
                    after and (trigger, after[0]) in pairs
                ):
                    return True
            at = skel.find(trigger, end)
    return False


def _words(skel: _T, mark: _T) -> list[_T]:
    return [t for t in skel.split() if t.strip(mark)]


def _spaced_around(skel: bytes, singles: Iterable[bytes]) -> list[Window]:
    """Spelled-out runs (`_SPACED_BYTES_RE`) through these one-letter words, in `skel`."""
    padded = b" " + skel + b" "
    spaced = padded.replace(b"\x0c", b" ") if 12 in skel else padded
    places = []
    for single in singles:
        needle = b" " + single + b" "
        at = spaced.find(needle)
        while at >= 0:
            places.append(at)
            at = spaced.find(needle, at + 2)
    found: list[Window] = []
    done = -1
    for at in sorted(places):
        if at < done:
            continue  # in a run already found
        # a run through here starts at most two letters (and their gaps of up to 10) before
        m = _SPACED_BYTES_RE.search(padded, max(0, at - 22), at + 25)
        if m is not None and m.start() <= at:
            m = _SPACED_BYTES_RE.match(padded, m.start())  # the whole run
            if m is not None:
                found.append((m.start(), m.end() - 2))
                done = m.end() - 1
    return found


# Two words apart by one to three mask characters, two spaces or more, or a line break
# (a hyphen before it too), the second caught in a lookahead so words may chain.
_GAP = r"(?:[-_.?/~^%=&:\\`\"‐‑‒–—―]{1,3}|[ \t]{2,}|-?[ \t]*\r?\n[ \t\r\n]*)"
_ODD_GAP_BYTES = re.compile(
    rb"(?<![A-Za-z0-9$@*#'])([A-Za-z0-9$@*#']+)"
    + _GAP.encode("ascii", "ignore")
    + rb"(?=([A-Za-z0-9$@*#']+))"
)
_ODD_GAP = re.compile(
    r"(?<![^\W_]|[$@*#'])((?:[^\W_]|[$@*#'])+)" + _GAP + r"(?=((?:[^\W_]|[$@*#'])+))"
)
# Each byte as "a" (a word's), "-" (a mask's), " ", a line break, or "." (anything else):
# a quick test for `_ODD_GAP_BYTES` with `in`.
_GAP_SHAPE = (
    bytes(
        ord("a")
        if chr(c).isalnum() or chr(c) in "$@*#'"
        else ord("-")
        if chr(c) in '-_.?/~^%=&:\\`"'
        else c
        if chr(c) in " \t\n"
        else ord(".")
        for c in range(128)
    )
    + b"." * 128
)
_EMOJI_RE = re.compile("[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")
_TOKEN_SPAN_RE = re.compile(r"\S+")
_TOKEN_SPAN_BYTES_RE = re.compile(rb"\S+")


def _whole_places(skel: _T, needle: _T, shift: list[int] | None) -> list[Window]:
    """Where `needle` stands in `skel` as whole words."""
    found = []
    at = skel.find(needle)
    while at >= 0:
        end = at + len(needle)
        if (at == 0 or skel[at - 1 : at].isspace()) and (
            end == len(skel) or skel[end : end + 1].isspace()
        ):
            found.append(_unshift(shift, at, end))
        at = skel.find(needle, at + 1)
    return found


def _pieces_joining(
    skel: _T, found: frozenset[_T], joins: frozenset[_T], shift: list[int] | None
) -> list[Window]:
    """Around each piece of a listed word in `skel` (`found`) that joins with one or two
    words next to it to a listed word or a form of one ("pri ck", "s hit bag")."""
    tokens = skel.split()
    n = len(tokens)
    empty = tokens[0][:0] if tokens else skel[:0]
    hits: list[tuple[int, int]] = []
    places = []
    for piece in found:
        at = -1
        with contextlib.suppress(ValueError):
            while True:
                at = tokens.index(piece, at + 1)
                places.append(at)
    for i in places:
        for a in range(max(0, i - 2), i + 1):
            for b in range(max(a + 1, i), min(n, a + 3)):
                if tokens[a] + tokens[a + 1] + (tokens[b] if b > a + 1 else empty) in joins:
                    hits.append((a, b))
    if not hits:
        return []
    spans: list[re.Match[_T]] = list(
        _TOKEN_SPAN_BYTES_RE.finditer(skel)
        if isinstance(skel, bytes)
        else _TOKEN_SPAN_RE.finditer(skel)
    )
    return [_unshift(shift, spans[a].start(), spans[b].end()) for a, b in hits]


def _pairs_joining(skel: _T, joins: frozenset[_T], shift: list[int] | None) -> list[Window]:
    """Around each two words next to each other in `skel` that join to one of `joins`."""
    spans: list[re.Match[_T]] = list(
        _TOKEN_SPAN_BYTES_RE.finditer(skel)
        if isinstance(skel, bytes)
        else _TOKEN_SPAN_RE.finditer(skel)
    )
    return [
        _unshift(shift, a.start(), b.end())
        for a, b in itertools.pairwise(spans)
        if a.group() + b.group() in joins
    ]


def _plain_everyday(word: str) -> bool:
    """An everyday English word typed in plain letters: the matcher reads no doubled
    spelling into it (`WordMatcher._lookup_extended`)."""
    return word.isascii() and word.isalpha() and is_english_word(word.lower(), 3.0)


def _apostrophe_shift(text: bytes | str) -> list[int] | None:
    """Where the skeleton (which drops apostrophes) loses a character, for `_unshift`."""
    if isinstance(text, bytes):
        found = [m.start() for m in _APOSTROPHE_BYTES_RE.finditer(text)]
    else:
        found = [m.start() for m in _APOSTROPHE_RE.finditer(text)]
    return [at - i for i, at in enumerate(found)] or None


def _unshift(shift: list[int] | None, start: int, end: int) -> Window:
    """A skeleton range as a range of the folded text."""
    if shift is None:
        return start, end
    return start + bisect.bisect_right(shift, start), end + bisect.bisect_right(shift, end - 1)
