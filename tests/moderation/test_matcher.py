"""The word matcher: what it finds, what it leaves alone, and that its gate hides nothing."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.words import make_corpus
from commentsvc.models import Span
from commentsvc.moderation.censor import merge_spans
from commentsvc.moderation.matcher import (
    WordMatcher,
    censor,
    compile_matcher,
    default_words,
    find,
)
from commentsvc.moderation.normalize import normalize
from tests.moderation.corpora import load, load_kinds


def found(text: str, matcher: WordMatcher | None = None) -> list[tuple[str, str]]:
    """(listed word, text as typed) for each match."""
    return [(m.word, m.typed) for m in (matcher or compile_matcher()).find(text)]


def test_the_list_is_better_profanitys_read_from_the_package() -> None:
    words = default_words()
    assert len(words) > 800
    assert {"fuck", "shit", "2 girls 1 cup", "s-o-b"} <= set(words)


@pytest.mark.parametrize(
    "text",
    ["Scunthorpe", "assassin", "classic", "Essex", "cocktail", "therapist", "grape", "analysis",
     "Penistone", "Clitheroe", "Hancock", "shiitake", "document", "Dickensian", "passage",
     "he'll", "she'll", "lens", "Cummings", "a sob story", "455 people", "J. R. R. Tolkien",
     "Sooo niiice", "I'm a fan", "U.S.A.", "me@example.com", "#localnews", "C++"],
)  # fmt: skip
def test_words_that_hold_a_listed_word_pass(text: str) -> None:
    assert find(text) == []


@pytest.mark.parametrize(
    ("text", "word", "typed"),
    [
        ("fuck", "fuck", "fuck"),
        ("FUCK!", "fuck", "FUCK"),
        ("f u c k", "fuck", "f u c k"),
        ("f.u.c.k", "fuck", "f.u.c.k"),
        ("fuuuuuck", "fuck", "fuuuuuck"),
        ("ｆｕｃｋ", "fuck", "ｆｕｃｋ"),
        ("f\u200bu\u200bc\u200bk", "fuck", "f\u200bu\u200bc\u200bk"),
        ("fuсk", "fuck", "fuсk"),  # Cyrillic с
        ("f*ck", "fuck", "f*ck"),
        ("sh!t", "shit", "sh!t"),
        ("sh1t", "shit", "sh1t"),
        ("$hit", "shit", "$hit"),
        ("shlt", "shit", "shlt"),  # l for i, as better-profanity allows
        ("fvck", "fuck", "fvck"),
        ("he11", "hell", "he11"),
        ("c**t", "cunt", "c**t"),
        ("a$$hole", "asshole", "a$$hole"),
        ("what a f u c k i n g mess", "fucking", "f u c k i n g"),
        ("s0b", "s-o-b", "s0b"),  # a leet entry of the list (s-o-b, s.o.b., s0b)
        ("S.O.B.", "s-o-b", "S.O.B"),
        ("shit's", "shit", "shit"),  # before a contraction
        ("bastards", "bastard", "bastards"),  # plural of a listed word
        ("blow job", "blow job", "blow job"),  # a listed phrase
        ("b l o w    j o b", "blowjob", "b l o w    j o b"),  # one run: gaps up to 6
    ],
)
def test_evasions(text: str, word: str, typed: str) -> None:
    assert found(text) == [(word, typed)]


def test_only_leet_typing_matches_a_leet_entry() -> None:
    # "s0b" is on the list; the plain word "sob" is not.
    assert find("a sob story") == []
    assert found("a s0b story") == [("s-o-b", "s0b")]


def test_offending_corpus_recall() -> None:
    lines = load("offending.txt")
    assert len(lines) >= 300
    missed = [line for line in lines if not find(line)]
    assert len(missed) <= len(lines) * 0.01, missed


def test_clean_corpus_false_positives() -> None:
    lines = load("clean.txt")
    assert len(lines) >= 300
    flagged = [(line, found(line)) for line in lines if find(line)]
    assert len(flagged) <= len(lines) * 0.005, flagged


def test_site_additions_and_allowlist() -> None:
    matcher = compile_matcher(("frack", "total idiot", "сука"), ("hell", "shit"))
    assert found("what the frack", matcher) == [("frack", "frack")]
    assert found("a total   idiot", matcher) == [("total idiot", "total   idiot")]
    assert found("ну сука", matcher) == [("сука", "сука")]
    assert found("what the hell", matcher) == []
    # allowing a word allows the way it is spelled around filters too
    assert found("sh1t, shlt, s h i t", matcher) == []
    assert found("fuck", matcher) == [("fuck", "fuck")]


def test_a_site_list_compiles_once() -> None:
    assert compile_matcher(("frack",), ()) is compile_matcher(("frack",), ())
    assert compile_matcher(("frack",), ()) is not compile_matcher(("frack",), ("hell",))


def test_censor_masks_like_better_profanity_and_keeps_the_rest() -> None:
    assert censor("You are a f u c k i n g idiot!") == "You are a **** idiot!"
    assert censor("שלום fuck עולם 👍🏽") == "שלום **** עולם 👍🏽"
    assert censor("clean text, untouched") == "clean text, untouched"


# Text made of pieces that exercise every rule, to hold the gate to the full matcher.
_PIECES = [
    "fuck", "FuCk", "shit", "s", "h", "i", "t", "a", "5", "1", "0", "@", "$", "*", "#", "!", "|",
    "+", "'", "’", "fuuuuck", "f*ck", "sh!t", "blow", "job", "three", "some", "2", "girls", "cup",
    "Scunthorpe", "assassin", "ѕех", "рот", "сука", "ｆｕｃｋ", "\u200b", "\u0301", "…", "ß", "ﬁ",
    "he'll", "shit's", "xxx", "s0b", "sob", "dick", "Len", "three", "bastards", "ass", "tit",
    "ffucckeer", "ttosseerr", "bbiitcches", "wiill", "assess", "aass", "Wi11", "ѕѕhiitt",
]  # fmt: skip
_SEPARATORS = [" ", " ", "  ", ".", "-", "_", "\n", "", ", ", " ! ", " * ", "—", "'", "\u200b"]
tricky_texts = st.lists(
    st.tuples(
        st.sampled_from(_PIECES) | st.text(max_size=3),
        st.sampled_from(_SEPARATORS),
    ),
    max_size=14,
).map(lambda parts: "".join(a + b for a, b in parts))

_SITE = compile_matcher(("сука", "total idiot"), ("hell",))


# derandomize: the same 1,500 texts every run, so CI never fails on a draw no one saw
# before; new counterexamples belong in the parametrized test below.
@settings(max_examples=1500, deadline=None, derandomize=True)
@given(tricky_texts)
def test_the_gate_hides_no_match(text: str) -> None:
    for matcher in (compile_matcher(), _SITE):
        assert matcher.find(text) == matcher.find_normalized(normalize(text)), repr(text)


@pytest.mark.parametrize("text", ["F.s'5 ", "f.ss", "x f.s5 y"])
def test_the_gate_hides_no_match_found_by_hypothesis(text: str) -> None:
    """Counterexamples the property above once drew (a short listed word read out of
    masked pieces by one path only): kept, so every run checks them."""
    for matcher in (compile_matcher(), _SITE):
        assert matcher.find(text) == matcher.find_normalized(normalize(text)), repr(text)


@pytest.mark.parametrize("name", ["offending.txt", "clean.txt"])
def test_the_gate_hides_no_match_in_the_corpora(name: str) -> None:
    matcher = compile_matcher()
    for line in load(name):
        assert matcher.find(line) == matcher.find_normalized(normalize(line)), line


@pytest.mark.parametrize("name", ["evasions.tsv", "clean_traps.tsv"])
def test_the_gate_hides_no_match_in_the_kinds_corpora(name: str) -> None:
    matcher = compile_matcher()
    for kind, line in load_kinds(name):
        assert matcher.find(line) == matcher.find_normalized(normalize(line)), (kind, line)


def test_letters_doubled_anywhere_are_read_but_everyday_doubles_pass() -> None:
    matcher = compile_matcher()
    for typed, word in [
        ("he called the referee a ffucckeer", "fucker"),
        ("Oh look, another moottheerfucckkeer defending the contract.", "motherfucker"),
        ("I swear the columnist is a ttosseerr.", "tosser"),
    ]:
        assert [m.word for m in matcher.find(typed)] == [word], typed
    plain = "The committee will assess the bookkeeping tomorrow, all three of us agree."
    assert matcher.find(plain) == []


def test_the_gate_hides_no_match_in_the_benchmark_corpus() -> None:
    matcher = compile_matcher()
    for comment in make_corpus(600):
        assert matcher.find(comment) == matcher.find_normalized(normalize(comment))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["fuck", "f u c k", "sh1t", "ｆｕｃｋ", "fu\u0301ck", "he11"])
        | st.text(st.characters(codec="utf-8"), max_size=6)
        | st.sampled_from(["שלום", "مرحبا", "👨\u200d👩\u200d👧", "e\u0301", "🇬🇧", "\u202e"]),
        max_size=10,
    ).map(" ".join)
)
def test_censoring_changes_nothing_outside_the_matches(text: str) -> None:
    spans = merge_spans(m.span for m in find(text))
    expected = []
    position = 0
    for span in spans:
        expected += [text[position : span.start], "****"]
        position = span.end
    expected.append(text[position:])
    assert censor(text) == "".join(expected)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)


def test_spans_are_the_words_as_typed() -> None:
    text = "Well, f.u.c.k   that and sh1t!"
    assert [m.span for m in find(text)] == [Span(6, 13), Span(25, 29)]


def _better_profanity_flags(text: str) -> bool:
    from better_profanity import profanity

    return bool(profanity.contains_profanity(text))


@pytest.mark.timeout(900)
def test_everything_better_profanity_flags_we_flag() -> None:
    """better-profanity is the oracle on 500 comments of the benchmark corpus (it is slow)."""
    sample = make_corpus()[::10]
    assert len(sample) >= 500
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        flags = list(pool.map(_better_profanity_flags, sample, chunksize=10))
    assert sum(flags) >= 20  # the sample has offending comments, and the oracle sees them
    missed = [
        text for text, flagged in zip(sample, flags, strict=True) if flagged and not find(text)
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("text", "word", "typed"),
    [
        ("what a bas_ard", "bastard", "bas_ard"),
        ("stop being a to-ser", "tosser", "to-ser"),
        ("shut up, dic~head", "dickhead", "dic~head"),
        ("read it, you w*nkers", "wanker", "w*nkers"),
        ("a total tw*tface", "twat", "tw*tface"),
        ("an utter ba__ard", "bastard", "ba__ard"),
        ("the mayor is a lying pisse|)", "pissed", "pisse|)"),
        ("you /-\\ss", "ass", "/-\\ss"),
        ("another tw@+ again", "twat", "tw@+"),
        ("this is bulls\nhit", "bullshit", "bulls\nhit"),
        ("stop being a who re here", "whore", "who re"),
        ("a right bell-\nend", "bellend", "bell-\nend"),
        ("a total who💩re", "whore", "who💩re"),
    ],
)
def test_masks_splits_and_multi_symbol_letters(text: str, word: str, typed: str) -> None:
    assert found(text) == [(word, typed)]


@pytest.mark.parametrize(
    "text",
    [
        "The co-operative is closing and pupils can re-sit in August.",
        "The column pen_is_mightier and x_cum are in the export.",
        "The pen\nis mightier than the sword.",
        "The cock-\nerel wakes us at five.",
        "I rang the bell\n\nEnd of story.",
        "The pen 🖊 is on the desk, as-is.",
        "Who\nRe-elected this lot?",
    ],
)
def test_ordinary_compounds_and_wrapped_lines_pass(text: str) -> None:
    assert found(text) == []
