"""Masks and gaps: what stands between two pieces of one listed word.

People hide a listed word by putting a non-letter where a letter was ("bas_ard",
"to-ser", "dic~head", "w*nkers") or by parting its letters with a space, a line
break or an emoji ("pri ck", "bulls⏎hit", "who💩re"). This module says what a
gap between two pieces is (`gap_kind`), which readings a mask allows
(`masked_readings`: one or two letters per one or two mask characters, in a word
long enough to read with most of its letters showing), and which listed word a
reading with masked letters stands for (`MaskedIndex`). `deletions` gives the
gate the listed words with a letter or two left out, so it can tell where two
pieces around a mask may be one of them.

A mask is never read across an ordinary compound: two everyday words joined by
a hyphen, an underscore, a slash or a dot ("co-operate", "re-sit", "cum_total")
stay two words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from commentsvc.moderation.forms import TAILS, is_piece_a_word

WILDCARD = "*"
MASK_CHARS = frozenset("-‐‑‒–—―%^~?._=&/\\:+|!*#@$'`\"")
"""Characters that stand for a letter, or part a word, between two of its pieces."""
COMPOUND_SEPARATORS = frozenset("-‐‑_/.'&+")
"""Characters that join two ordinary words in ordinary writing ("co-operate", "x_cum")."""
_MAX_MASK = 3
_MAX_GAP = 12
_EMOJI_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn", "Me", "Cs", "Co"})
_MIN_MASKED = 4
"""Shortest listed word read through a mask between two pieces."""


def gap_kind(gap: str) -> str | None:
    """The kind of gap between two words that may be one split word.

    "space" for one space; "break" for a line break, several spaces or an emoji
    (nobody parts two words of a sentence that way); "hyphenated" for a hyphen at
    the end of a line (one word broken over two); "mask" for one to three
    symbols standing for letters or parting them ("b—tch"); None for anything else.
    """
    if not gap:
        return "space"
    if len(gap) <= _MAX_MASK and all(c in MASK_CHARS for c in gap):
        return "mask"
    if gap[0] in "-‐" and gap[1:].isspace() and "\n" in gap:
        return "hyphenated"  # a word hyphenated at a line break: one word
    if len(gap) > _MAX_GAP or gap.count("\n") > 2:
        return None
    emoji = False
    for c in gap:
        if not c.isspace():
            if unicodedata.category(c) not in _EMOJI_CATEGORIES:
                return None
            emoji = True
    if "\n" in gap or "  " in gap or (emoji and not any(c.isspace() for c in gap)):
        return "break"  # an emoji between spaces is a word of its own: "Jack 🙄 ass-kissing"
    return "space"


def is_everyday(piece: str) -> bool:
    """Whether a piece of a split word is a common English word on its own ("hard",
    "on", "bell"; not "pri", "tos", "dic"). Of single letters only "a", "i" and "l"
    (an "l" reads as "i"). The gate looks for every other piece (`forms.fragments`)."""
    return is_piece_a_word(piece)


def ordinary_compound(left: str, gap: str, right: str) -> bool:
    """Two everyday words joined the ordinary way ("co-operate", "re-sit", "as_is")."""
    return (
        all(c in COMPOUND_SEPARATORS for c in gap)
        and len(left) >= 2
        and len(right) >= 2
        and is_everyday(left)
        and is_everyday(right)
    )


def masked_readings(left: str, gap: str, right: str) -> list[str]:
    """`left` + masked letters + `right`: as many letters as mask characters first,
    then one for two or two for one. A reading must be at least four letters long
    with two thirds of them showing."""
    n = len(gap)
    counts = [n] + ([2] if n == 1 else [1] if n == 2 else [])
    shown = len(left) + len(right)
    out = []
    for k in counts:
        total = shown + k
        if total >= _MIN_MASKED and shown * 3 >= total * 2:
            out.append(left + WILDCARD * k + right)
    return out


def deletions(key: str) -> Iterator[str]:
    """`key` with one inner letter left out (four letters or more), or two inner
    letters in a row (six or more): what two pieces around a mask join to."""
    n = len(key)
    if n >= _MIN_MASKED:
        for i in range(1, n - 1):
            yield key[:i] + key[i + 1 :]
    if n >= 6:
        for i in range(1, n - 2):
            yield key[:i] + key[i + 2 :]


class MaskedIndex:
    """Listed words by length and first letter, for readings with masked letters."""

    def __init__(
        self,
        plain: dict[str, str],
        evasion: dict[str, str],
        heads: dict[str, str],
        rank: dict[str, int],
    ) -> None:
        self._plain = plain
        self._evasion = evasion
        self._heads = heads
        self._rank = rank
        self._shapes = _shapes(k for k in (*plain, *evasion) if WILDCARD not in k)
        self._head_shapes = _shapes(heads)

    def entry(self, reading: str, obfuscated: bool, *, strict: bool = False) -> str | None:
        """The listed word a masked reading ("f*ck", "tw*tface") stands for, if any.

        strict: at least four letters with two thirds of them showing (a mask
        between two pieces rather than inside one typed word)."""
        masks = reading.count(WILDCARD)
        letters = len(reading) - masks
        if letters < 2 or letters < masks:
            return None
        if strict and (len(reading) < _MIN_MASKED or letters * 3 < len(reading) * 2):
            return None
        found = self._best(self._shapes, reading, obfuscated)
        if found is not None and strict and len(found) < _MIN_MASKED:
            return None  # "f.ss" is not "ffs": a short word is not read out of masked pieces
        if found is not None:
            return found
        # A compound of a listed stem with its stem masked ("tw*tface", "sh*tbag").
        for cut in range(len(reading) - 1, 2, -1):
            tail = reading[cut:]
            if WILDCARD in tail:
                break
            head = reading[:cut]
            if tail in TAILS and WILDCARD in head and len(head) - head.count(WILDCARD) >= 2:
                found = self._best(self._head_shapes, head, obfuscated, heads=True)
                if found is not None and not (strict and len(found) < _MIN_MASKED):
                    return found
        return None

    def _best(
        self,
        shapes: dict[tuple[int, str], str],
        reading: str,
        obfuscated: bool,
        *,
        heads: bool = False,
    ) -> str | None:
        first = "" if reading[0] == WILDCARD else reading[0]
        keys = shapes.get((len(reading), first))
        if keys is None:
            return None
        pattern = "^" + ".".join(re.escape(part) for part in reading.split(WILDCARD)) + "$"
        best: str | None = None
        best_rank = -1
        for match in re.finditer(pattern, keys, re.MULTILINE):
            key = match.group()
            if heads:
                entry: str | None = self._heads.get(key)
            else:
                entry = self._plain.get(key)
                if entry is None and obfuscated:
                    entry = self._evasion.get(key)
            # "f*ck" could be "fack" or "fuck": take the one with the most listed
            # words built on it, the one people mean.
            rank = self._rank.get(key, 0)
            if entry is not None and rank > best_rank:
                best, best_rank = entry, rank
        return best


def _shapes(keys: Iterable[str]) -> dict[tuple[int, str], str]:
    shapes: dict[tuple[int, str], list[str]] = {}
    for key in dict.fromkeys(keys):
        if not key:
            continue
        shapes.setdefault((len(key), ""), []).append(key)
        shapes.setdefault((len(key), key[0]), []).append(key)
    return {shape: "\n".join(keys) for shape, keys in shapes.items()}
