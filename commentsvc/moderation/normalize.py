"""Normalizing comment text for word matching, with a map back to the original.

`normalize(text)` undoes what people type to get a word past a filter:
compatibility forms (NFKC: full-width, math letters, circled letters), case,
accents, zero-width and other invisible characters, Cyrillic and Greek
look-alikes, leet digits and symbols, letters stretched three or more times,
and words spelled out letter by letter ("f u c k", "f.u.c.k"). The result is a
list of `Word`s whose every character points back to the original text, so a
match becomes a span of the text as written.

Where a typed character has more than one reading ("1" is an i or an l, a
stretched "sss" is "s" or "ss", "*" is any letter) the word carries the
alternatives and the matcher tries them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from commentsvc.models import Span

# --- characters -------------------------------------------------------------

# Invisible characters that are not in category Cf (format), which we drop too.
_EXTRA_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")

# Apostrophe look-alikes: all become "'", which separates words.
_APOSTROPHES = frozenset("\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032\uff07")

# Latin letters that look like plain ones but do not decompose to them.
_LATIN_LOOKALIKES = str.maketrans(
    {
        "ı": "i", "ɩ": "i", "ɪ": "i", "ł": "l", "ʟ": "l", "ø": "o", "ᴏ": "o", "đ": "d",
        "ᴅ": "d", "ħ": "h", "ʜ": "h", "ŧ": "t", "ᴛ": "t", "ƒ": "f", "ʋ": "u", "ᴜ": "u",
        "ʏ": "y", "ᴀ": "a", "ɑ": "a", "ʙ": "b", "ᴄ": "c", "ᴇ": "e", "ɢ": "g", "ɡ": "g",
        "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ɴ": "n", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴠ": "v",
        "ᴡ": "w", "ᴢ": "z", "ſ": "s",
    }
)  # fmt: skip

# Cyrillic, Greek and Armenian letters that pass for Latin ones. Applied before
# case folding (upper and lower case look different), and only where the text
# around is Latin, so a Russian "рот" stays Russian. Each maps one to one.
_SCRIPT_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I",
    "Ї": "I", "Ј": "J", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Һ": "H", "Ӏ": "I", "Ү": "Y",
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ү": "y",
    "ь": "b", "ѵ": "v",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "ք": "p",
}  # fmt: skip
_SCRIPT_RE = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f]")
_LATIN_RE = re.compile(r"[A-Za-z]")

# Leet: the first reading of each character, and the other letters it may stand for.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
     "@": "a", "$": "s", "!": "i", "|": "i", "+": "t", "€": "e", "#": "*"}
)  # fmt: skip
_LEET_ALTERNATIVES = {"1": "l", "|": "l", "!": "l", "@": "o"}
WILDCARD = "*"
"""A masked letter in a normalized word ("f*ck"): it may stand for any letter."""

# A word: letters, digits and the symbols used as letters or masks, with
# "!", "|" or "+" allowed only between them ("sh!t", but "hell!" ends at "l").
_CORE = r"(?:[^\W_]|[@$*#€])"
_TOKEN_RE = re.compile(rf"{_CORE}+(?:[!|+]+{_CORE}+)*")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
_STRETCH_RE = re.compile(r"([^\W\d_])\1\1+")
_MASKS = "*#"
# Spelled-out letters: each a one-character word, at most this many characters apart
# (and not across an apostrophe: "I'm a" is not "ima").
_SPELLED_GAP = 3
_SPELLED_MIN = 3

_fold_cache: dict[str, tuple[str, str, bool]] = {}


def fold_char(ch: str) -> tuple[str, str, bool]:
    """One character folded: (plain, with script look-alikes, attaches to the previous).

    Plain is NFKC, case-folded, without accents or invisible characters (""),
    Latin look-alikes made plain; the second also turns Cyrillic, Greek and
    Armenian look-alikes into Latin letters. Both have the same length.
    """
    cached = _fold_cache.get(ch)
    if cached is not None:
        return cached
    category = unicodedata.category(ch)
    if ch in _APOSTROPHES:
        result = ("'", "'", False)
    elif category == "Cf" or ch in _EXTRA_INVISIBLE:
        result = ("", "", False)
    elif category in ("Mn", "Me"):
        result = ("", "", True)
    else:
        compat = unicodedata.normalize("NFKC", ch)
        plain = _strip_marks(compat.casefold())
        lookalike = _SCRIPT_LOOKALIKES.get(compat)
        if lookalike is not None and len(plain) == 1:
            homo = lookalike.casefold()
        else:
            homo = "".join(_SCRIPT_LOOKALIKES.get(c, c) for c in plain).casefold()
            if len(homo) != len(plain):
                homo = plain
        result = (plain, homo, False)
    if len(_fold_cache) < 65536:
        _fold_cache[ch] = result
    return result


def fold_lookalikes(text: str) -> str:
    """`text` (already folded) with its Cyrillic, Greek and Armenian look-alikes made Latin."""
    return "".join(fold_char(c)[1] for c in text)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).translate(_LATIN_LOOKALIKES)


def fold(text: str) -> tuple[str, str, list[int] | None, list[int] | None]:
    """Fold every character: (plain, with look-alikes, starts, ends).

    `plain` and the look-alike string have the same length; `starts[i]` and
    `ends[i]` are the original range behind character i (None when the text is
    ASCII and folding maps one to one).
    """
    if text.isascii():
        low = text.lower()
        return low, low, None, None
    plain_parts: list[str] = []
    homo_parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        plain, homo, attach = fold_char(ch)
        if plain:
            plain_parts.append(plain)
            homo_parts.append(homo)
            n = len(plain)
            starts.extend([i] * n)
            ends.extend([i + 1] * n)
        elif attach and ends and ends[-1] == i:
            # A combining mark belongs to the letter before it.
            k = len(ends) - 1
            while k >= 0 and ends[k] == i:
                ends[k] = i + 1
                k -= 1
    return "".join(plain_parts), "".join(homo_parts), starts, ends


# --- words ------------------------------------------------------------------


class Word(NamedTuple):
    """One normalized word and where each of its characters came from."""

    text: str
    """The first reading: lower case, de-leeted, stretched letters once; "*" for a mask."""
    starts: tuple[int, ...]
    """starts[i]: index in the original text of the first character behind text[i]."""
    ends: tuple[int, ...]
    """ends[i]: end (exclusive) of the original characters behind text[i]."""
    alternatives: tuple[tuple[int, str], ...] = ()
    """(i, letters): text[i] may also be one of these letters (a "1" is an i or an l)."""
    stretched: tuple[int, ...] = ()
    """Indexes of letters typed three or more times in a row (once or twice meant)."""
    obfuscated: bool = False
    """Typed with leet, masks or spaced-out letters rather than as a plain word."""
    spelled: bool = False
    """Joined from letters spelled out one by one ("f u c k")."""

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
    plain, homo, fstarts, fends = fold(text)
    latin_text = fstarts is None or _mostly_latin(text)
    pieces = _pieces(plain)
    words: list[Word] = []
    i = 0
    n = len(pieces)
    while i < n:
        start, end = pieces[i]
        # A run of one-character words close together is a word spelled out.
        j = i
        while (
            j + 1 < n
            and pieces[j][1] - pieces[j][0] == 1
            and pieces[j + 1][1] - pieces[j + 1][0] == 1
            and pieces[j + 1][0] - pieces[j][1] <= _SPELLED_GAP
            and "'" not in plain[pieces[j][1] : pieces[j + 1][0]]
        ):
            j += 1
        if end - start == 1 and j - i + 1 >= _SPELLED_MIN:
            positions = [pieces[k][0] for k in range(i, j + 1)]
            word = _make_word(plain, homo, positions, fstarts, fends, latin_text, spelled=True)
            i = j + 1
        else:
            i += 1
            if end - start == 1 and plain[start] in _MASKS:
                continue  # a lone mask that spells nothing
            word = _make_word(
                plain, homo, range(start, end), fstarts, fends, latin_text, spelled=False
            )
        if word is not None:
            words.append(word)
    return Normalized(text, tuple(words))


def _mostly_latin(text: str) -> bool:
    return len(_LATIN_RE.findall(text)) >= len(_SCRIPT_RE.findall(text))


def _pieces(folded: str) -> list[tuple[int, int]]:
    """(start, end) of each word in the folded text, masks at either end trimmed off."""
    pieces: list[tuple[int, int]] = []
    for match in _TOKEN_RE.finditer(folded):
        start, end = match.span()
        if end - start > 1:
            while start < end and folded[start] in _MASKS:
                start += 1
            while end > start and folded[end - 1] in _MASKS:
                end -= 1
            if start == end:
                continue
        pieces.append((start, end))
    return pieces


def _make_word(
    plain: str,
    homo: str,
    positions: range | list[int],
    fstarts: list[int] | None,
    fends: list[int] | None,
    latin_text: bool,
    *,
    spelled: bool,
) -> Word | None:
    if isinstance(positions, range):
        raw = plain[positions.start : positions.stop]
        if latin_text or _LATIN_RE.search(raw):
            raw = homo[positions.start : positions.stop]
    else:
        raw = "".join(plain[p] for p in positions)
        if latin_text or _LATIN_RE.search(raw):
            raw = "".join(homo[p] for p in positions)
    if fstarts is None or fends is None:
        starts = list(positions)
        ends = [p + 1 for p in positions]
    else:
        starts = [fstarts[p] for p in positions]
        ends = [fends[p] for p in positions]

    obfuscated = spelled
    alternatives: list[tuple[int, str]] = []
    text = raw
    if not raw.isalpha():
        if not _HAS_LETTER_RE.search(raw):
            if spelled:
                return None  # "1 2 3": numbers spelled out are not a word
            return Word(raw, tuple(starts), tuple(ends))
        text = raw.translate(_LEET)
        if text != raw or WILDCARD in text:
            obfuscated = True
        alternatives = [(k, _LEET_ALTERNATIVES[c]) for k, c in enumerate(raw) if c in _LEET_ALTERNATIVES]
        if not spelled and WILDCARD in text and _is_spaced_mask(text):
            # "f*u*c*k": letters with a mask between each pair are spelled out.
            keep = range(0, len(text), 2)
            text = text[::2]
            starts = [starts[k] for k in keep]
            ends = [ends[k] for k in keep]
            alternatives = []
            spelled = True

    stretched: list[int] = []
    if len(raw) >= 3 and _STRETCH_RE.search(raw) is not None:
        text, starts, ends, alternatives, stretched = _collapse(
            raw, text, starts, ends, alternatives
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
) -> tuple[str, list[int], list[int], list[tuple[int, str]], list[int]]:
    """Collapse letters typed three or more times in a row to one."""
    alt = dict(alternatives)
    out_text: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    out_alt: list[tuple[int, str]] = []
    stretched: list[int] = []
    pos = 0
    for match in _STRETCH_RE.finditer(raw):
        a, b = match.span()
        for k in range(pos, a):
            if k in alt:
                out_alt.append((len(out_text), alt[k]))
            out_text.append(text[k])
            out_starts.append(starts[k])
            out_ends.append(ends[k])
        stretched.append(len(out_text))
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
