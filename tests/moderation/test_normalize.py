"""The normalizer: what it undoes, and that every character maps back to the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentsvc.models import Span
from commentsvc.moderation.fold import (
    fold,
    fold_char,
    fold_to_ascii,
    multi_leet,
    plain_punctuation,
)
from commentsvc.moderation.normalize import normalize


def texts(text: str) -> list[str]:
    return [w.text for w in normalize(text).words]


def typed(text: str) -> list[str]:
    """Each word as it stands in the original text."""
    return [text[w.span.start : w.span.end] for w in normalize(text).words]


def test_plain_words_are_lower_case_and_map_back() -> None:
    text = "Hello, World! It is 2024."
    assert texts(text) == ["hello", "world", "it", "is", "2024"]
    assert typed(text) == ["Hello", "World", "It", "is", "2024"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("ｆｕｃｋ", "fuck"),  # full-width
        ("𝐟𝐮𝐜𝐤", "fuck"),  # mathematical bold
        ("ⓕⓤⓒⓚ", "fuck"),  # circled
        ("FuCk", "fuck"),
        ("fück", "fuck"),  # accents
        ("f\u0336u\u0336c\u0336k\u0336", "fuck"),  # strike-through marks
        ("f\u200bu\u200cc\u200dk", "fuck"),  # zero-width characters
        ("fu\u00adck", "fuck"),  # soft hyphen
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),
        ("ƒuck", "fuck"),  # Latin look-alike
    ],
)
def test_compatibility_case_accents_and_invisible_characters(text: str, word: str) -> None:
    (result,) = normalize(text).words
    assert result.text == word
    assert result.span == Span(0, len(text))


def test_cyrillic_and_greek_look_alikes_read_as_latin_in_latin_text() -> None:
    assert texts("the ѕех is") == ["the", "sex", "is"]  # Cyrillic ѕ, е, х
    assert texts("what the fυck") == ["what", "the", "fuck"]  # Greek υ
    assert typed("the ѕех is") == ["the", "ѕех", "is"]


def test_cyrillic_text_stays_cyrillic() -> None:
    assert texts("Это рот") == ["это", "рот"]
    # ... but a word mixing scripts is read as Latin there too
    assert texts("Привет fuсk") == ["привет", "fuck"]


@pytest.mark.parametrize(
    ("text", "word"),
    [("sh1t", "shit"), ("$hit", "shit"), ("a$$", "ass"), ("@ss", "ass"), ("b!tch", "bitch"),
     ("7!75", "tits"), ("p0rn", "porn"), ("h3ll", "hell"), ("b|tch", "bitch")],
)  # fmt: skip
def test_leet(text: str, word: str) -> None:
    (result,) = normalize(text).words
    assert result.text == word
    assert result.obfuscated


def test_ambiguous_leet_keeps_the_other_readings() -> None:
    (word,) = normalize("he11").words
    assert word.text == "heii"
    assert dict(word.alternatives) == {2: "l", 3: "l"}
    (word,) = normalize("c@ck").words
    assert dict(word.alternatives) == {1: "o"}


def test_numbers_are_not_leet() -> None:
    assert texts("455 people, 1,000 votes, 3.5%") == [
        "455",
        "people",
        "1",
        "000",
        "votes",
        "3",
        "5",
    ]


def test_stretched_letters_collapse_and_remember_the_run() -> None:
    (word,) = normalize("fuuuuck").words
    assert (word.text, word.stretched, word.span) == ("fuck", ((1, 4),), Span(0, 7))
    assert texts("Sooo niiice, good") == ["so", "nice", "good"]  # a double letter is not stretched


@pytest.mark.parametrize(
    "text", ["f u c k", "f.u.c.k", "F-U-C-K", "f_u_c_k", "f . u . c . k", "f u  c   k"]
)
def test_spelled_out_letters_join(text: str) -> None:
    (word,) = normalize(text).words
    assert (word.text, word.spelled, word.span) == ("fuck", True, Span(0, len(text)))


def test_spelled_out_letters_need_three_close_together() -> None:
    assert texts("a b") == ["a", "b"]
    assert texts("f           u           c") == ["f", "u", "c"]  # too far apart (eleven spaces)
    assert texts("1 2 3 go") == ["1", "2", "3", "go"]  # numbers stay numbers
    assert texts("what a f u c k i n g mess") == ["what", "afucking", "mess"]


def test_masks() -> None:
    (word,) = normalize("f*ck").words
    assert (word.text, word.obfuscated) == ("f*ck", True)
    assert texts("*really* #news") == ["really", "news"]  # masks at the edges are not letters
    assert texts("f*u*c*k") == ["fuck"]
    assert texts("f * c k") == ["f*ck"]


def test_apostrophes() -> None:
    assert texts("shit's") == ["shit"]
    assert typed("shit's") == ["shit"]
    assert texts("he'll she’ll") == ["he", "she"]  # a curly apostrophe is an apostrophe
    assert texts("rock'n'roll O'Brien") == ["rocknroll", "obrien"]
    assert texts("I'm a fan") == ["i", "a", "fan"]
    assert texts("f'u'c'k") == ["fuck"]
    assert texts("'quoted'") == ["quoted"]


def test_normalized_text_and_offsets() -> None:
    text = "Ｈｉ   f.u.c.k!"
    normalized = normalize(text)
    assert normalized.text == "hi fuck"
    starts, ends = normalized.offsets()
    assert len(starts) == len(ends) == len(normalized.text)
    assert normalized.span(3, 7) == Span(5, 12)
    assert text[normalized.span(0, 2).start : normalized.span(0, 2).end] == "Ｈｉ"


def test_fold_to_ascii() -> None:
    assert fold_to_ascii("It’s “fine” — Zürich") == b"It's  fine    Zurich"
    assert fold_to_ascii("plain") == b"plain"
    assert fold_to_ascii("рот") is None  # look-alikes need the full fold
    assert fold_to_ascii("wait…") is None  # one character, three folded
    assert fold_to_ascii("f\u200buck") is None


def test_fold_maps_every_character_back() -> None:
    folded = fold("a\u200bß́ｂ")
    assert folded.plain == "assb"
    assert folded.starts is not None and folded.ends is not None
    assert list(folded.starts) == [0, 2, 2, 4]
    assert list(folded.ends) == [1, 4, 4, 5]  # the accent belongs to the ß before it


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_every_word_maps_back_into_the_original(text: str) -> None:
    for word in normalize(text).words:
        assert word.text
        assert len(word.starts) == len(word.ends) == len(word.text)
        assert all(0 <= a < b <= len(text) for a, b in zip(word.starts, word.ends, strict=True))
        assert list(word.starts) == sorted(word.starts)


def _fold_one_by_one(text: str) -> tuple[str, list[int], list[int]]:
    """The folded text and its offsets, the slow way: one character at a time, after the
    letters drawn in several symbols ("|2" for r) became letters (same length)."""
    plain: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(plain_punctuation(multi_leet(text))):
        folded, _, attach = (ch.lower(), "", False) if ch.isascii() else fold_char(ch)
        if folded:
            plain.append(folded)
            starts += [i] * len(folded)
            ends += [i + 1] * len(folded)
        elif attach and ends and ends[-1] == i:
            k = len(ends) - 1
            while k >= 0 and ends[k] == i:
                ends[k] = i + 1
                k -= 1
    return "".join(plain), starts, ends


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *("a", "B", " ", "ß", "\u0301", "\u200b", "ｆ", "ﬁ", "…", "’", "р", "👍", "\ufe0f"),
                *("|2", "|<", "(_)", "\\/", "|", "2"),  # letters drawn in symbols, their parts
            ]
        )
        | st.characters(),
        max_size=30,
    ).map("".join)
)
def test_fold_offsets_match_folding_one_character_at_a_time(text: str) -> None:
    folded = fold(text)
    plain, starts, ends = _fold_one_by_one(text)
    assert folded.plain == plain
    assert list(folded.starts if folded.starts is not None else range(len(plain))) == starts
    expected_ends = range(1, len(plain) + 1) if folded.ends is None else folded.ends
    assert list(expected_ends) == ends
