"""Keep the cyclic garbage collector off the worker's long-lived heap.

The word filter's compiled lists (`moderation.matcher.compile_matcher`) hold
hundreds of megabytes of objects that live as long as the process. Every full
collection walks all of them (about 120 ms on the development VM), stalling
whatever batch is in hand. Once such objects exist, `gc.freeze()` moves them to
the permanent generation, which collections skip; objects made later are
collected as usual.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

from commentsvc.moderation.matcher import compile_matcher

log = logging.getLogger(__name__)


def compiled_lists() -> int:
    """How many word lists are compiled in this process."""
    return compile_matcher.cache_info().currsize


class HeapFreezer:
    """Freezes the heap at start and again each time a new word list was compiled."""

    def __init__(self, generation: Callable[[], int] = compiled_lists) -> None:
        self._generation = generation
        self._lists_seen = -1

    def check(self) -> bool:
        """Freeze if the compiled lists changed since the last call; True when it did."""
        lists = self._generation()
        if lists == self._lists_seen:
            return False
        self._lists_seen = lists
        started = time.perf_counter()
        gc.collect()  # what is garbage now must not be frozen with the rest
        gc.freeze()
        log.debug(
            "froze %d long-lived objects in %.0f ms",
            gc.get_freeze_count(),
            (time.perf_counter() - started) * 1000,
        )
        return True
