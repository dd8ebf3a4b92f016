"""The forms a listed word takes beyond its spelling: compounds, derived forms,
doubled letters, phonetic spellings, and the pieces it can be split into.

Every form is made from the list's own entries by general rules, never listed
by hand, and a form that is an English word (by `wordfreq`) is dropped, so
"cockpit", "cumin" and "spicy" stay words.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator

from commentsvc.moderation.vocab import common_words, is_common_english, is_english_word

_INFLECTIONS_TEXT = "s es ed d er ers ing ings in y ier iest ish ly ness"
# second halves of insult compounds: body parts, containers, animals, objects
_SECOND_HALVES_TEXT = """head heads face faces bag bags hole holes wit wits wipe wipes stain
    stains sack sacks stick sticks weasel weasels nugget nuggets muppet monkey monkeys lord lords
    show storm brain brains wad wads nut nuts ball balls burger bucket buckets trumpet waffle
    goblin gibbon womble biscuit hat hats house houses licker lickers sucker suckers eater eaters
    muncher fest load loads pants bird birds box end ends lips mouth rag rags trap cake cakes tard
    tards pig pigs dog dogs rat rats clown clowns wagon hammer hammers heap pile tastic weed bomb
    bombs fit fits kicker stack ton hook spout pot pipe knuckle"""
TAILS: frozenset[str] = frozenset(_INFLECTIONS_TEXT.split() + _SECOND_HALVES_TEXT.split())
"""What may follow a listed stem inside one word ("shitbag", "twatface", "wanking")."""
_MIN_STEM = 3
_MAX_DOUBLED = 128


INFLECTIONS = frozenset(_INFLECTIONS_TEXT.split())
STRONG = ("fuck", "cunt", "nigg", "shit", "motherf", "cocksuck", "whore", "slut", "wank", "twat",
          "bitch", "bastard", "piss")  # fmt: skip
"""Stems of words that are no one's name and no other word's part, whatever the data says."""


def is_strong(word: str) -> bool:
    folded = word.casefold()
    return any(stem in folded for stem in STRONG)


def compound_forms(stem: str) -> Iterator[str]:
    """Compounds and derived forms of a listed stem (the matcher judges which are words)."""
    for tail in TAILS:
        for form in {stem + tail, _drop_e(stem, tail), _double_last(stem, tail)}:
            if form and not is_innocent_compound(form, stem, tail):
                yield form


def is_innocent_compound(word: str, stem: str, tail: str) -> bool:
    """Whether a stem + tail is an ordinary English word ("cockpit", "cumin", "pricked")."""
    if is_strong(stem):
        return False
    return is_english_word(word, 2.0)


def _drop_e(stem: str, tail: str) -> str:
    return stem[:-1] + tail if stem.endswith("e") and tail[0] in "aeiouy" else ""


def _double_last(stem: str, tail: str) -> str:
    # "twat" + "ing" is "twatting"
    if (
        tail[0] in "aeiouy"
        and len(stem) >= 3
        and stem[-1] not in "aeiouwxy"
        and (stem[-2] in "aeiou" and stem[-3] not in "aeiou")
    ):
        return stem + stem[-1] + tail
    return ""


def split_compound(word: str, stems: dict[str, str]) -> tuple[str, str] | None:
    """(entry, tail) when `word` is a listed stem and a known tail."""
    for cut in range(len(word) - 1, _MIN_STEM - 1, -1):
        tail = word[cut:]
        if tail not in TAILS:
            continue
        head = word[:cut]
        entry = stems.get(head)
        if entry is None and len(head) > _MIN_STEM and head[-1] == head[-2]:
            entry = stems.get(head[:-1])  # "twatt" + "ing"
        if entry is None and tail[0] in "aeiouy":
            entry = stems.get(head + "e")  # "wip" + "ing"
        if entry is not None:
            if is_innocent_compound(word, head, tail):
                return None
            return entry, tail
    return None


def doubled_forms(key: str) -> Iterator[str]:
    """`key` with some of its letters doubled ("piiss", "bbiittcchh")."""
    positions = [i for i, c in enumerate(key) if c.isalpha()]
    if len(positions) > 5:
        subsets: Iterator[tuple[int, ...]] = itertools.chain(
            ((p,) for p in positions),
            itertools.combinations(positions, 2),
            [tuple(positions)],
        )
    else:
        subsets = itertools.chain.from_iterable(
            itertools.combinations(positions, n) for n in range(1, len(positions) + 1)
        )
    for subset in itertools.islice(subsets, _MAX_DOUBLED):
        chosen = set(subset)
        yield "".join(c + c if i in chosen else c for i, c in enumerate(key))


_DOUBLE_RE = re.compile(r"([a-z])\1")


def undoubled_readings(text: str) -> Iterator[str]:
    """`text` with each doubled letter kept or typed once (at most 64 readings)."""
    spots = [m.start() for m in _DOUBLE_RE.finditer(text)]
    if not spots:
        return
    yield _DOUBLE_RE.sub(r"\1", text)  # every doubled letter once ("bbiittcchh")
    for mask in range(1, min(1 << len(spots), 64)):
        drop = {spots[k] for k in range(len(spots)) if mask >> k & 1}
        yield "".join(c for i, c in enumerate(text) if i not in drop)


# Sound-alike spellings: (pattern, replacements), each applied at one place at a time
# and then all together.
_SOUNDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ck", ("k", "kk", "q", "c", "x")),
    ("c", ("k",)),
    ("k", ("c",)),
    ("f", ("ph",)),
    ("ph", ("f",)),
    ("s", ("z",)),
    ("ss", ("zz", "s")),
    ("er", ("a", "ah", "uh", "ur")),
    ("i", ("y",)),
    ("y", ("ie", "ee", "i")),
    ("u", ("oo",)),
    ("oo", ("u",)),
    ("tch", ("ch",)),
    ("itch", ("iatch", "iotch", "yatch")),
    ("ing", ("in", "n")),
    ("x", ("ks", "cks")),
    ("qu", ("kw",)),
    ("wh", ("w",)),
)
_MAX_SOUNDS = 48


@functools.lru_cache(maxsize=8192)
def sound_forms(key: str) -> tuple[str, ...]:
    """Phonetic spellings of `key` ("phuck", "fuk", "biatch", "kunt") that are not words."""
    if len(key) < 3 or not key.isalpha():
        return ()
    forms: dict[str, None] = {}
    for pattern, replacements in _SOUNDS:
        for m in re.finditer(re.escape(pattern), key):
            for rep in replacements:
                forms[key[: m.start()] + rep + key[m.end() :]] = None
    # two changes at once ("phuk", "kunnt" are one each already)
    firsts = list(forms)
    for first in firsts:
        for pattern, replacements in _SOUNDS:
            again = re.search(re.escape(pattern), first)
            if again is not None and len(forms) < _MAX_SOUNDS * 4:
                forms[first[: again.start()] + replacements[0] + first[again.end() :]] = None
    forms.pop(key, None)
    return tuple(
        f
        for f in itertools.islice(forms, _MAX_SOUNDS * 4)
        if len(f) >= 3 and not is_english_word(f, 3.0)
    )


def fragments(key: str) -> Iterator[str]:
    """The pieces a word can be split into or masked around ("pri" + "ck", "b" + "tch")."""
    for cut in range(1, len(key)):
        for piece in (key[:cut], key[cut:]):
            if not is_piece_a_word(piece):
                yield piece


def compound_fragments(stem: str) -> Iterator[str]:
    """The last piece of an inflected stem split inside the stem: "ck" + "ish" of
    "pri ckish", "itch" + "y" of "b itchy" (the matcher joins them back). A compound
    split inside its stem ("s hitbag") is joined only when its second half stands
    apart ("s hit bag"): with every second half here the gate's set would triple."""
    for cut in range(1, len(stem)):
        rest = stem[cut:]
        for tail in INFLECTIONS:
            piece = rest + tail
            if not is_piece_a_word(piece):
                yield piece


@functools.cache
def is_piece_a_word(piece: str) -> bool:
    """Whether a piece of a split word is an everyday word ("hard", "on"; not "ck", "s")."""
    if len(piece) == 1:
        return piece in "ail"  # "l" reads as "i" too
    return is_common_english(piece) or _skeleton(piece) in _everyday_skeletons()


def _skeleton(text: str) -> str:
    from commentsvc.moderation.gate import skeleton

    return skeleton(text)


@functools.cache
def _everyday_skeletons() -> frozenset[str]:
    """The gate's skeletons of common English words (as `is_common_english` counts them):
    a piece that looks like one ("bell", "who") is a word; "tos", "dic" and "shi" are not."""
    from commentsvc.moderation.gate import skeleton

    return frozenset(skeleton(w) for w in common_words(3.5) if len(w) >= 3 or is_common_english(w))


@functools.cache
def common_skeletons() -> frozenset[str]:
    """The gate's skeletons of everyday English words: a piece or form that looks like
    one to the gate would send every comment down the slow path."""
    from commentsvc.moderation.gate import skeleton

    return frozenset(skeleton(w) for w in common_words() if len(w) >= 3 or is_common_english(w))
