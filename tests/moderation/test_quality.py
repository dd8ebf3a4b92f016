"""Quality thresholds on the labelled corpora (rates, not timings): issue 11."""

from __future__ import annotations

import collections

from commentsvc.moderation.types import Item
from commentsvc.moderation.word_stage import WordStage
from tests.moderation.corpora import load_kinds

_STAGE = WordStage()


def _flagged(text: str) -> bool:
    return bool(_STAGE.check(Item(text)))


def test_the_corpora_are_large_and_labelled() -> None:
    offending = load_kinds("evasions.tsv")
    kinds = collections.Counter(k for k, _ in offending)
    assert len(offending) >= 1200
    assert len(kinds) >= 16
    assert min(kinds.values()) >= 50
    assert len(load_kinds("clean_traps.tsv")) >= 1000


def test_recall_on_evasions() -> None:
    """Issue 11's goal: 99% of the evasions caught, and 95% of every kind."""
    rows = load_kinds("evasions.tsv")
    total: collections.Counter[str] = collections.Counter(k for k, _ in rows)
    caught: collections.Counter[str] = collections.Counter(k for k, t in rows if _flagged(t))
    assert sum(caught.values()) >= 0.99 * len(rows)
    assert all(caught[k] >= 0.95 * total[k] for k in total), {k: caught[k] for k in total}


def test_clean_comments_pass() -> None:
    rows = load_kinds("clean_traps.tsv")
    flagged = [(k, t) for k, t in rows if _flagged(t)]
    assert len(flagged) <= 0.005 * len(rows), flagged


def test_masks_cover_the_whole_split_word() -> None:
    (reason,) = _STAGE.check(Item("what a right pri ck he is"))
    body = "what a right pri ck he is"
    assert [body[s.start : s.end] for s in reason.spans] == ["pri ck"]
    text = "a shit bag, frankly"
    (reason,) = _STAGE.check(Item(text))
    assert [text[s.start : s.end] for s in reason.spans] == ["shit bag"]
