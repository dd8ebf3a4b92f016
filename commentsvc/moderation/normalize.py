"""Normalizing comment text for word matching, with a map back to the original.

`normalize(text)` undoes what people type to get a word past a filter:
compatibility forms (NFKC: full-width, math letters, circled letters), case,
accents, zero-width and other invisible characters, Cyrillic and Greek
look-alikes (those four in `fold`), leet digits and symbols, letters stretched
three or more times, and words spelled out letter by letter ("f u c k",
"f.u.c.k"). The result is a list of `Word`s whose every character points back
to the original text, so a match becomes a span of the text as written.

Where a typed character has more than one reading ("1" is an i or an l, a
stretched "sss" is "s" or "ss", "*" is any letter) the word carries the
alternatives and the matcher tries them. `words_in` and `expand` normalize
just a part of a text, for the matcher's windows.

Why this module is long (over the 400-line guide): every reading of a typed
character (leet, stretched letters, spelled-out words, masks) must keep the map
back to the original text, so they share one `Word` builder and its position
bookkeeping; split apart, each piece would need that bookkeeping again.
Look-alike folding, which needs no positions, is its own module (`fold.py`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from commentsvc.models import Span
from commentsvc.moderation.fold import APOSTROPHES, Folded, fold

_LATIN_RE = re.compile(r"[A-Za-z]")

# Leet: the first reading of each character, and the other letters it may stand for.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "6": "g", "9": "g",
     "@": "a", "$": "s", "!": "i", "|": "i", "+": "t", "#": "*"}
)  # fmt: skip
_LEET_ALTERNATIVES = {"1": "l", "|": "l", "!": "l", "@": "o"}
WILDCARD = "*"
"""A masked letter in a normalized word ("f*ck"): it may stand for any letter."""

# A word: letters, digits and the symbols used as letters or masks, with "!", "|",
# "+" or an apostrophe allowed only between them ("sh!t", "it's"; "hell!" ends at "l").
_CORE = r"(?:[^\W_]|[@$*#])"
_TOKEN_RE = re.compile(rf"{_CORE}+(?:[!|+']+{_CORE}+)*")
# A word with a letter, or a symbol that only ever stands for one, is read as leet;
# "455" stays a number.
_HAS_LETTER_RE = re.compile(r"[^\W\d_]|[@$!|]")
_STRETCH_RE = re.compile(r"([^\W\d_])\1\1+")
_MASKS = "*#"
CONTRACTIONS = frozenset({"s", "d", "ll", "re", "m", "t", "n"})
"""Endings after an apostrophe that are not part of the word ("shit's" is "shit")."""
# Spelled-out letters: each a one-character word, at most this many characters apart.
_SPELLED_GAP = 10
_SPELLED_MIN = 3

# --- words ------------------------------------------------------------------


class Word(NamedTuple):
    """One normalized word and where each of its characters came from."""

    text: str
    """The first reading: lower case, de-leeted, stretched letters once; "*" for a mask."""
    starts: Sequence[int]
    """starts[i]: index in the original text of the first character behind text[i]."""
    ends: Sequence[int]
    """ends[i]: end (exclusive) of the original characters behind text[i]."""
    alternatives: tuple[tuple[int, str], ...] = ()
    """(i, letters): text[i] may also be one of these letters (a "1" is an i or an l)."""
    stretched: tuple[tuple[int, int], ...] = ()
    """(i, n): text[i] was typed n (three or more) times in a row; once or twice meant."""
    obfuscated: bool = False
    """Typed with leet, masks or spaced-out letters rather than as a plain word."""
    spelled: bool = False
    """Joined from letters spelled out one by one ("f u c k")."""
    contracted: bool = False
    """Typed with a contraction ending, dropped here ("shit's"): not part of a phrase."""

    @property
    def span(self) -> Span:
        return Span(self.starts[0], self.ends[-1])

    def span_of(self, start: int, end: int) -> Span:
        """The original span behind text[start:end]."""
        return Span(self.starts[start], self.ends[end - 1])


@dataclass(frozen=True, slots=True)
class Normalized:
    """A text's normalized words, each mapped back to the original."""

    original: str
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The normalized words joined by single spaces."""
        return " ".join(w.text for w in self.words)

    def offsets(self) -> tuple[list[int], list[int]]:
        """(starts, ends): the original range behind each character of `text`.

        A space between two words maps to the gap between them in the original.
        """
        starts: list[int] = []
        ends: list[int] = []
        for i, word in enumerate(self.words):
            if i:
                starts.append(ends[-1])
                ends.append(word.starts[0])
            starts.extend(word.starts)
            ends.extend(word.ends)
        return starts, ends

    def span(self, start: int, end: int) -> Span:
        """The original span behind text[start:end]."""
        starts, ends = self.offsets()
        return Span(starts[start], ends[end - 1])


def normalize(text: str) -> Normalized:
    """Normalize `text` into words that remember where they came from."""
    return Normalized(text, tuple(words_in(fold(text))))


def words_in(folded: Folded, start: int = 0, end: int | None = None) -> list[Word]:
    """The words of `folded.plain[start:end]`.

    The range must cut no word and no spelled-out run: pass it through `expand`.
    """
    plain = folded.plain
    pieces = _pieces(plain, start, len(plain) if end is None else end)
    words: list[Word] = []
    i = 0
    n = len(pieces)
    while i < n:
        piece_start, piece_end = pieces[i]
        # A run of one-character words close together is a word spelled out.
        j = i
        while j + 1 < n and _joinable(plain, pieces[j], pieces[j + 1]):
            j += 1
        if piece_end - piece_start == 1 and j - i + 1 >= _SPELLED_MIN:
            word = _make_word(folded, [pieces[k][0] for k in range(i, j + 1)], spelled=True)
            if word is not None:
                words.append(word)
                i = j + 1
                continue
            # "1 2 3": numbers spelled out stay separate numbers.
            for k in range(i, j + 1):
                if plain[pieces[k][0]] not in _MASKS:
                    number = _make_word(folded, range(pieces[k][0], pieces[k][1]), spelled=False)
                    if number is not None:
                        words.append(number)
            i = j + 1
            continue
        i += 1
        if piece_end - piece_start == 1 and plain[piece_start] in _MASKS:
            continue  # a lone mask that spells nothing
        positions: range | list[int] = range(piece_start, piece_end)
        letters = contracted = False
        if "'" in plain[piece_start:piece_end]:
            positions, letters, contracted = _without_apostrophes(folded, piece_start, piece_end)
            if not positions:
                continue
        # Letters apart by apostrophes ("f'u'c'k") make a word, but only a whole one.
        word = _make_word(folded, positions, spelled=False, obfuscated=letters)
        if word is not None:
            if contracted:
                word = word._replace(contracted=True)
            if (
                plain[piece_start - 1 : piece_start] == "'"
                or plain[piece_end : piece_end + 1] == "'"
            ):
                word = _over_fillers(folded, word, piece_start, piece_end)
            words.append(word)
    return words


def _over_fillers(folded: Folded, word: Word, start: int, end: int) -> Word:
    """The word's span widened over the rest of a multi-symbol letter at either end
    ("/-\\ss" is "''ass": the mask must cover "/-\\" too)."""
    plain = folded.plain
    first, last = start, end
    while first > 0 and plain[first - 1] == "'" and not _typed_apostrophe(folded, first - 1):
        first -= 1
    while last < len(plain) and plain[last] == "'" and not _typed_apostrophe(folded, last):
        last += 1
    if first == start and last == end:
        return word
    starts, ends = list(word.starts), list(word.ends)
    if first < start:
        starts[0] = first if folded.starts is None else folded.starts[first]
    if last > end:
        ends[-1] = last if folded.ends is None else folded.ends[last - 1]
    return word._replace(starts=tuple(starts), ends=tuple(ends))


def _without_apostrophes(folded: Folded, start: int, end: int) -> tuple[list[int], bool, bool]:
    """A word with apostrophes: its positions, whether it is letters apart ("f'u'c'k"),
    and whether a contraction ending was dropped ("shit's" is "shit", "he'll" is "he").

    The apostrophes that stand in for the rest of a letter drawn in several symbols
    (`fold.multi_leet`: "|)" is "'d") only go: "pisse|)" is "pissed", not "pisse'd".
    """
    plain = folded.plain
    parts: list[list[int]] = [[]]
    for p in range(start, end):
        if plain[p] == "'":
            if not _typed_apostrophe(folded, p):
                continue
            parts.append([])
        else:
            parts[-1].append(p)
    parts = [part for part in parts if part]
    if len(parts) >= _SPELLED_MIN and all(len(part) == 1 for part in parts):
        return [part[0] for part in parts], True, False
    if len(parts) > 1 and "".join(plain[p] for p in parts[-1]) in CONTRACTIONS:
        parts.pop()
        return [p for part in parts for p in part], False, True
    return [p for part in parts for p in part], False, False


def _typed_apostrophe(folded: Folded, p: int) -> bool:
    """Whether the apostrophe at plain[p] was typed as one (not a multi-leet filler)."""
    at = p if folded.starts is None else folded.starts[p]
    return folded.original[at : at + 1] in APOSTROPHES


def expand(
    folded: Folded, start: int, end: int, reach: int = 0, *, runs: bool = True
) -> tuple[int, int]:
    """Widen `folded.plain[start:end]` so it cuts no word and no spelled-out run.

    With `reach`, take in that many more words on either side too. With
    runs=False the caller knows the range holds no one-character word.
    """
    plain = folded.plain
    start, end = _widen(plain, max(0, start), min(len(plain), end))
    if not runs:
        return start, end
    if not reach:
        return _take_in_runs(plain, start, end)
    margin = 16 * (reach + 1)
    while True:
        lo = _widen(plain, max(0, start - margin), start)[0]
        hi = _widen(plain, end, min(len(plain), end + margin))[1]
        pieces = _pieces(plain, lo, hi)
        inside = [k for k, (a, b) in enumerate(pieces) if a >= start and b <= end]
        if not inside:
            return start, end
        first, last = inside[0], inside[-1]
        # Ran out of pieces to look at before the reach or a run ended, on either side?
        short_left = short_right = False
        for _ in range(reach):
            first, moved = _next_word(plain, pieces, first, -1)
            short_left = short_left or not moved
            last, moved = _next_word(plain, pieces, last, 1)
            short_right = short_right or not moved
        while first > 0 and _joinable(plain, pieces[first - 1], pieces[first]):
            first -= 1
        while last < len(pieces) - 1 and _joinable(plain, pieces[last], pieces[last + 1]):
            last += 1
        a, b = pieces[first]
        short_left = short_left or (first == 0 and b - a == 1 and a - lo <= _SPELLED_GAP)
        a, b = pieces[last]
        short_right = short_right or (
            last == len(pieces) - 1 and b - a == 1 and hi - b <= _SPELLED_GAP
        )
        if (short_left and lo > 0) or (short_right and hi < len(plain)):
            margin *= 4  # the run or the reach may go on past what we looked at
            continue
        return (
            min(start, _widen(plain, pieces[first][0], pieces[first][0])[0]),
            max(end, _widen(plain, pieces[last][1], pieces[last][1])[1]),
        )


def _take_in_runs(plain: str, start: int, end: int) -> tuple[int, int]:
    """Widen a range whose ends are safe cuts over the spelled-out runs it ends in."""
    first = _first_piece(plain, start, end)
    while first is not None and first[1] - first[0] == 1:
        lo = _widen(plain, max(0, first[0] - _SPELLED_GAP - 1), first[0])[0]
        before = _last_piece(plain, lo, first[0])
        if before is None or not _joinable(plain, before, first):
            break
        first = before
        start = min(start, _widen(plain, first[0], first[0])[0])
    last = _last_piece(plain, start, end)
    while last is not None and last[1] - last[0] == 1:
        hi = _widen(plain, last[1], min(len(plain), last[1] + _SPELLED_GAP + 1))[1]
        after = _first_piece(plain, last[1], hi)
        if after is None or not _joinable(plain, last, after):
            break
        last = after
        end = max(end, _widen(plain, last[1], last[1])[1])
    return start, end


def _first_piece(plain: str, start: int, end: int) -> tuple[int, int] | None:
    for match in _TOKEN_RE.finditer(plain, start, end):
        pieces = _pieces(plain, *match.span())
        if pieces:
            return pieces[0]
    return None


def _last_piece(plain: str, start: int, end: int) -> tuple[int, int] | None:
    while end > start:
        while end > start and not _is_word_char(plain[end - 1]):
            end -= 1
        word_start = end
        while word_start > start and _is_word_char(plain[word_start - 1]):
            word_start -= 1
        if word_start == end:
            return None
        pieces = _pieces(plain, word_start, end)
        if pieces:
            return pieces[-1]
        end = word_start
    return None


def _next_word(plain: str, pieces: list[tuple[int, int]], k: int, step: int) -> tuple[int, bool]:
    """The index of the next piece that is a word (not a lone mask), and whether there was one."""
    j = k + step
    while 0 <= j < len(pieces):
        a, b = pieces[j]
        if b - a > 1 or plain[a] not in _MASKS:
            return j, True
        j += step
    return k, False


_WORD_SYMBOLS = frozenset("@$*#!|+'")
_ASCII_WORD_CHARS = frozenset(
    chr(c) for c in range(128) if chr(c).isalnum() or chr(c) in _WORD_SYMBOLS
)


_WORD_RUN_RE = re.compile(r"(?:[^\W_]|[@$*#!|+'])*")


def _is_word_char(ch: str) -> bool:
    """Whether a word can go through `ch` (a window never cuts at one)."""
    return ch in _ASCII_WORD_CHARS or (not ch.isascii() and ch.isalnum())


def _widen(plain: str, start: int, end: int) -> tuple[int, int]:
    """Move start left and end right to the nearest places no word can span."""
    while start > 0 and _is_word_char(plain[start - 1]):
        start -= 1
    match = _WORD_RUN_RE.match(plain, end)
    return start, end if match is None else match.end()


def _joinable(plain: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    """Two one-character words close enough to be letters of one spelled-out word."""
    return (
        left[1] - left[0] == 1 and right[1] - right[0] == 1 and right[0] - left[1] <= _SPELLED_GAP
    )


def _pieces(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each word in folded[start:end], masks at either end trimmed off."""
    pieces: list[tuple[int, int]] = []
    for match in _TOKEN_RE.finditer(folded, start, end):
        a, b = match.span()
        if b - a > 1:
            while a < b and folded[a] in _MASKS:
                a += 1
            while b > a and folded[b - 1] in _MASKS:
                b -= 1
            if a == b:
                continue
        pieces.append((a, b))
    return pieces


def _make_word(
    folded: Folded, positions: range | list[int], *, spelled: bool, obfuscated: bool = False
) -> Word | None:
    """The word at these positions; None for a spelled-out run without a letter."""
    plain = folded.plain
    homo = folded.homo
    if isinstance(positions, range):
        raw = plain[positions.start : positions.stop]
        if homo is not plain and (folded.latin or _LATIN_RE.search(raw) or _mixed(raw)):
            raw = homo[positions.start : positions.stop]
    else:
        raw = "".join(plain[p] for p in positions)
        if homo is not plain and (folded.latin or _LATIN_RE.search(raw) or _mixed(raw)):
            raw = "".join(homo[p] for p in positions)
    fstarts, fends = folded.starts, folded.ends
    starts: Sequence[int]
    ends: Sequence[int]
    if fstarts is None or fends is None:
        if isinstance(positions, range):
            starts = positions
            ends = range(positions.start + 1, positions.stop + 1)
        else:
            starts = positions
            ends = [p + 1 for p in positions]
    else:
        starts = [fstarts[p] for p in positions]
        ends = [fends[p] for p in positions]

    obfuscated = obfuscated or spelled
    if raw.isalpha() and not (len(raw) >= 3 and _STRETCH_RE.search(raw)):
        if not isinstance(starts, range):
            starts, ends = tuple(starts), tuple(ends)
        return Word(raw, starts, ends, (), (), obfuscated, spelled)

    alternatives: list[tuple[int, str]] = []
    text = raw
    if not raw.isalpha():
        if _NUMBER_LIKE_RE.fullmatch(raw) and _typed_upper(folded, starts, ends, raw):
            # "A55", "M6", "B4": a road, a grid square or a part number, not leet.
            return Word(raw, tuple(starts), tuple(ends))
        if _ORDINAL_RE.fullmatch(raw):
            return Word(raw, tuple(starts), tuple(ends))  # "5th", "10k", "3am"
        if not spelled and _is_parted(raw):
            # "t|w|a|t", "b+o+l+l+o+c+k+s": one symbol between every two letters
            raw = raw[::2]
            starts = list(starts)[::2]
            ends = list(ends)[::2]
            spelled = obfuscated = True
            if raw.isalpha():
                return Word(raw, tuple(starts), tuple(ends), (), (), True, True)
        if not _HAS_LETTER_RE.search(raw):
            if spelled:
                return None
            return Word(raw, tuple(starts), tuple(ends))
        text = raw.translate(_LEET)
        if text != raw or WILDCARD in text:
            obfuscated = True
        alternatives = [
            (k, _LEET_ALTERNATIVES[c]) for k, c in enumerate(raw) if c in _LEET_ALTERNATIVES
        ]
        if not spelled and WILDCARD in text and _is_spaced_mask(text):
            # "f*u*c*k": letters with a mask between each pair are spelled out.
            text = text[::2]
            raw = raw[::2]
            starts = list(starts)[::2]
            ends = list(ends)[::2]
            alternatives = []
            spelled = True

    stretched: list[tuple[int, int]] = []
    if len(raw) >= 3 and _STRETCH_RE.search(raw) is not None:
        text, starts, ends, alternatives, stretched = _collapse(
            raw, text, list(starts), list(ends), alternatives
        )
    return Word(
        text,
        tuple(starts),
        tuple(ends),
        tuple(alternatives),
        tuple(stretched),
        obfuscated,
        spelled,
    )


_NUMBER_LIKE_RE = re.compile(r"[a-z]{1,3}\d+")
_ORDINAL_RE = re.compile(r"\d+(?:st|nd|rd|th|s|k|m|bn|am|pm|kg|km|mm|cm|ml|mph|x\d+)")
_PARTING = frozenset("|+!'")


def _is_parted(raw: str) -> bool:
    return (
        len(raw) >= 5
        and len(raw) % 2 == 1
        and len(set(raw[1::2])) == 1
        and raw[1] in _PARTING
        and not any(c in _PARTING for c in raw[::2])
    )


def _typed_upper(folded: Folded, starts: Sequence[int], ends: Sequence[int], raw: str) -> bool:
    typed = folded.original[starts[0] : ends[-1]]
    return typed.upper() == typed and typed.lower() != typed


def _mixed(raw: str) -> bool:
    """Whether a word mixes letters of two scripts (or two look-alike scripts)."""
    if raw.isascii():
        return False
    scripts = {unicodedata.name(c, "?").split(" ", 1)[0] for c in raw if c.isalpha()}
    return len(scripts) > 1


def _is_spaced_mask(text: str) -> bool:
    return (
        len(text) >= 5
        and len(text) % 2 == 1
        and set(text[1::2]) == {WILDCARD}
        and WILDCARD not in text[::2]
    )


def _collapse(
    raw: str,
    text: str,
    starts: list[int],
    ends: list[int],
    alternatives: list[tuple[int, str]],
) -> tuple[str, list[int], list[int], list[tuple[int, str]], list[tuple[int, int]]]:
    """Collapse letters typed three or more times in a row to one."""
    alt = dict(alternatives)
    out_text: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    out_alt: list[tuple[int, str]] = []
    stretched: list[tuple[int, int]] = []
    pos = 0
    for match in _STRETCH_RE.finditer(raw):
        a, b = match.span()
        for k in range(pos, a):
            if k in alt:
                out_alt.append((len(out_text), alt[k]))
            out_text.append(text[k])
            out_starts.append(starts[k])
            out_ends.append(ends[k])
        stretched.append((len(out_text), b - a))
        out_text.append(text[a])
        out_starts.append(starts[a])
        out_ends.append(ends[b - 1])
        pos = b
    for k in range(pos, len(raw)):
        if k in alt:
            out_alt.append((len(out_text), alt[k]))
        out_text.append(text[k])
        out_starts.append(starts[k])
        out_ends.append(ends[k])
    return "".join(out_text), out_starts, out_ends, out_alt, stretched
