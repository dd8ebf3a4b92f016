"""Folding characters for word matching: compatibility forms, case, accents,
invisible characters and look-alike letters, with the way back to the original.

`fold(text)` gives two strings of the same length, `plain` and `homo` (the same
with Cyrillic, Greek and Armenian look-alikes made Latin), and for each of their
characters the original range behind it. Most texts are ASCII, or fold one
character to one (curly quotes, accented names); those cost a few C calls.
"""

from __future__ import annotations

import bisect
import codecs
import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple, overload

from commentsvc.moderation.lookalikes import latin_lookalike

# --- characters -------------------------------------------------------------

# Invisible characters that are not in category Cf (format), which we drop too.
_EXTRA_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")

# Apostrophe look-alikes: all become "'".
_APOSTROPHES = frozenset("\u2018\u2019\u201b\u02bc\u02b9\u00b4\u2032\uff07")
APOSTROPHES = _APOSTROPHES | {"'"}
"""Everything folded to an apostrophe (a typed one, not a `multi_leet` filler)."""

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
_fold_cache: dict[str, tuple[str, str, bool]] = {}


def fold_char(ch: str) -> tuple[str, str, bool]:
    """One character folded: (plain, with script look-alikes, attaches to the previous).

    Plain is NFKC, case-folded, without accents or invisible characters (""),
    Latin look-alikes made plain, and a space for anything that cannot be part
    of a word (emoji, dashes); the second also turns Cyrillic, Greek and
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
        compat = "e" if ch == "€" else unicodedata.normalize("NFKC", ch)  # "sh€t"
        plain = _lower(_word_chars(_strip_marks(compat.casefold())))
        lookalike = _SCRIPT_LOOKALIKES.get(compat)
        unicode_lookalike = latin_lookalike(compat) if len(compat) == 1 else None
        if unicode_lookalike is None and compat != ch:
            unicode_lookalike = latin_lookalike(ch)
        if unicode_lookalike is not None and not unicode_lookalike[1]:
            # A Latin letter drawn another way ("ᴀ", "🅰", "🇦"): a letter everywhere.
            plain = homo = unicode_lookalike[0]
        elif unicode_lookalike is not None and len(plain) == 1:
            homo = unicode_lookalike[0]
        elif lookalike is not None and len(plain) == 1:
            homo = lookalike.lower()
        else:
            homo = _lower("".join(_SCRIPT_LOOKALIKES.get(c, c) for c in plain))
            if len(homo) != len(plain):
                homo = plain
        result = (plain, homo, False)
    if len(_fold_cache) < 65536:
        _fold_cache[ch] = result
    return result


def _lower(text: str) -> str:
    """Lower case where that keeps the length (so `str.lower` on a folded text is safe)."""
    low = text.lower()
    return low if len(low) == len(text) else text


def _word_chars(text: str) -> str:
    return "".join(c if c.isascii() or c.isalnum() else " " for c in text)


def fold_lookalikes(text: str) -> str:
    """`text` (already folded) with its Cyrillic, Greek and Armenian look-alikes made Latin."""
    if text.isascii():
        return text
    return "".join(fold_char(c)[1] for c in text)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).translate(_LATIN_LOOKALIKES)


class Folded(NamedTuple):
    """A text with every character folded (see `fold_char`), and the way back."""

    original: str
    plain: str
    homo: str
    """`plain` with Cyrillic, Greek and Armenian look-alikes made Latin (same length)."""
    starts: Sequence[int] | None
    """starts[i]: index in the original of the character behind plain[i]; None: i itself."""
    ends: Sequence[int] | None
    """ends[i]: end (exclusive) of the original characters behind plain[i]; None: i + 1."""
    latin: bool
    """Mostly Latin text, where look-alike letters are read as Latin ones."""


# Letters drawn with several symbols ("|_|" for u, "|<" for k), each replaced by its
# letter and apostrophes (which words drop) so the text keeps its length.
_MULTI_LEET = {
    "|\\/|": "m", "/\\/\\": "m", "\\/\\/": "w", "|\\|": "n", "/\\/": "n", "|_|": "u",
    "(_)": "u", "|-|": "h", "]-[": "h", "|<": "k", "|{": "k", "|)": "d", "|]": "d", "|3": "b",
    "|2": "r", "\\/": "v", "/\\": "a", "}{": "h", "()": "o", "[]": "o", "|_": "l", "|>": "p",
    "|*": "p", "><": "x", "[)": "d", "|}": "d", "\\_/": "u", "/-\\": "a", "/_\\": "a",
    "|?": "r", "`/": "y",
}  # fmt: skip
_MULTI_LEET_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_MULTI_LEET, key=len, reverse=True))
)


def multi_leet(text: str) -> str:
    """`text` with letters drawn in several symbols made letters, same length."""
    if not ("|" in text or "\\" in text or "()" in text or "(_)" in text or "[]" in text) and not (
        "><" in text or "}{" in text or "]-[" in text or "[)" in text or "`/" in text
    ):
        return text
    return _MULTI_LEET_RE.sub(_one_letter, text)


def _one_letter(match: re.Match[str]) -> str:
    typed = match.group()
    return "'" * (len(typed) - 1) + _MULTI_LEET[typed]


def fold(text: str, *, simple: bool = True) -> Folded:
    """Fold `text`; only its non-ASCII characters cost a step each.

    With simple=False, skip trying `fold_to_ascii` first (the caller just did).
    """
    leet = multi_leet(text)
    if leet is not text:
        return fold_leet(text, leet, simple=simple)
    if text.isascii():
        low = text.lower()
        return Folded(text, low, low, None, None, True)
    ascii_text = fold_to_ascii(text) if simple else None
    if ascii_text is not None:
        low = ascii_text.decode("ascii").lower()
        return Folded(text, low, low, None, None, True)
    return _fold_general(text)._replace(original=text)


def fold_leet(original: str, text: str, *, simple: bool = True) -> Folded:
    """Fold `text`, the original with multi-symbol letters replaced (same length)."""
    if text.isascii():
        low = text.lower()
        return Folded(original, low, low, None, None, True)
    ascii_text = fold_to_ascii(text) if simple else None
    if ascii_text is not None:
        low = ascii_text.decode("ascii").lower()
        return Folded(original, low, low, None, None, True)
    return _fold_general(text)._replace(original=original)


_FOLD_ERRORS = "commentsvc.fold"


def _fold_run(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a run of non-ASCII characters, folded if simply possible."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start : error.end]:
        plain, homo, _ = fold_char(ch)
        if len(plain) != 1 or homo != plain or not plain.isascii():
            raise error
        out.append(plain)
    return "".join(out), error.end


# Non-ASCII punctuation common in typed text, each as `fold_char` folds it.
_PUNCTUATION = (
    ("\u2019", "'"), ("\u2018", "'"), ("\u201c", " "), ("\u201d", " "), ("\u2014", " "),
    ("\u2013", " "), ("\u00a0", " "),
)  # fmt: skip


def plain_punctuation(text: str) -> str:
    """`text` with its curly quotes, dashes and no-break spaces folded (one for one)."""
    for fancy, plain in _PUNCTUATION:
        if fancy in text:
            text = text.replace(fancy, plain)
    return text


_RUN_ERRORS = "commentsvc.runs"
_runs = threading.local()


def _note_run(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: note where a run of non-ASCII characters is."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    _runs.found.append((error.start, error.end))
    return "", error.end


def _non_ascii_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-ASCII characters (the encoder finds them in C)."""
    _runs.found = []
    try:
        text.encode("ascii", _RUN_ERRORS)
    except LookupError:  # first use: register the handler
        codecs.register_error(_RUN_ERRORS, _note_run)
        return _non_ascii_runs(text)
    found: list[tuple[int, int]] = _runs.found
    return found


def fold_to_ascii(text: str) -> bytes | None:
    """`text` as ASCII, each character folded to one, if it can be done so; else None.

    Most comments with non-ASCII characters (curly quotes, dashes, accented
    names) can; the ASCII encoder copies the rest in C.
    """
    try:
        return plain_punctuation(text).encode("ascii", _FOLD_ERRORS)
    except UnicodeEncodeError:
        return None
    except LookupError:  # first use: register the handler
        codecs.register_error(_FOLD_ERRORS, _fold_run)
        return fold_to_ascii(text)


class Offsets(Sequence[int]):
    """Original positions behind the characters of a folded text, kept as a few runs.

    A run maps folded positions one to one onto the original (step 1), or all onto
    one original character that folded to several (step 0, "ß" to "ss").
    """

    __slots__ = ("_at", "_base", "_end", "_ends", "_size", "_step")

    def __init__(
        self,
        at: list[int],
        base: list[int],
        step: list[int],
        size: int,
        ends: dict[int, int],
        *,
        end: bool,
    ) -> None:
        self._at, self._base, self._step, self._size = at, base, step, size
        self._ends = ends  # an end past the next character: combining marks after it
        self._end = end

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError(index)
        k = bisect.bisect_right(self._at, index) - 1
        start = self._base[k] + self._step[k] * (index - self._at[k])
        if not self._end:
            return start
        return self._ends.get(index, start + 1)


def _fold_general(text: str) -> Folded:
    text = plain_punctuation(text)
    plain_parts: list[str] = []
    homo_parts: list[str] = []
    at: list[int] = []  # runs of `Offsets`
    base: list[int] = []
    step: list[int] = []
    ends: dict[int, int] = {}
    size = 0  # characters folded so far
    aligned = True
    last = (0, 0, -1)  # folded range and original end of the last character kept
    lookalikes = False
    script_letters = 0  # Greek, Cyrillic and Armenian letters

    def one_to_one(origin: int) -> None:
        if not at or step[-1] != 1 or base[-1] + size - at[-1] != origin:
            at.append(size)
            base.append(origin)
            step.append(1)

    pos = 0
    for a, b in [*_non_ascii_runs(text), (len(text), len(text))]:
        if a > pos:
            segment = text[pos:a].lower()
            plain_parts.append(segment)
            homo_parts.append(segment)
            one_to_one(pos)
            size += a - pos
            last = (size - 1, size, a)
        for i in range(a, b):
            ch = text[i]
            plain, homo, attach = fold_char(ch)
            if homo != plain:
                lookalikes = True
            if "\u0370" <= ch <= "\u058f":
                script_letters += 1
            n = len(plain)
            if n == 1:
                one_to_one(i)
            elif n:
                aligned = False
                at.append(size)
                base.append(i)
                step.append(0)
            else:
                aligned = False
                if attach and last[2] == i:  # a combining mark belongs to the letter before it
                    for q in range(last[0], last[1]):
                        ends[q] = i + 1
                    last = (last[0], last[1], i + 1)
                continue
            plain_parts.append(plain)
            homo_parts.append(homo)
            size += n
            last = (size - n, size, i + 1)
        pos = b
    plain_text = "".join(plain_parts)
    homo_text = "".join(homo_parts) if lookalikes else plain_text
    latin = not lookalikes or _latin_letters(text) >= script_letters
    if aligned:
        return Folded(text, plain_text, homo_text, None, None, latin)
    starts = Offsets(at, base, step, size, ends, end=False)
    stops = Offsets(at, base, step, size, ends, end=True)
    return Folded(text, plain_text, homo_text, starts, stops, latin)


_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())


def _latin_letters(text: str) -> int:
    """How many plain Latin letters `text` has."""
    return len(text.encode("ascii", "ignore").translate(None, _NOT_LETTERS))
