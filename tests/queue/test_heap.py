"""The moderation worker keeps its long-lived heap out of the collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from commentsvc.moderation.matcher import compile_matcher
from workers.heap import HeapFreezer, compiled_lists

CACHED_LISTS = compile_matcher.cache_info().maxsize or 0


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_freezes_at_start_and_once_per_new_word_list(unfrozen: None) -> None:
    lists = [0]
    freezer = HeapFreezer(lambda: lists[0])
    assert freezer.check()  # the first call freezes what start-up built
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert not freezer.check()  # nothing new compiled: nothing to do
    kept = [[i] for i in range(1000)]  # long-lived objects made since
    lists[0] = 1  # a batch compiled a site's list
    assert freezer.check()
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_counts_the_compiled_lists() -> None:
    before = compiled_lists()
    compile_matcher(("heapcountword",), ())  # a site's list no other test compiles
    assert compiled_lists() == min(before + 1, CACHED_LISTS)
    compile_matcher(("heapcountword",), ())  # the same list again: cached, not counted
    assert compiled_lists() == min(before + 1, CACHED_LISTS)
