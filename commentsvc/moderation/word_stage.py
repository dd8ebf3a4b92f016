"""Stage 2 of DESIGN.md §5: listed words, with the site's additions and allowlist.

One reason per listed word found, naming the word and how it was typed, with
its spans in the body; the site's `profanity` policy decides what the reason
asks for (censor: publish with the word masked; hold; reject).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

from commentsvc.models import Action, Reason
from commentsvc.moderation.matcher import Match, WordMatcher, compile_matcher
from commentsvc.moderation.ordinary import ORDINARY_WORDS
from commentsvc.moderation.types import Item, PerItemStage
from commentsvc.policy import ProfanityAction

PROFANITY_ACTIONS: dict[ProfanityAction, Action] = {
    "censor": Action.CENSOR,
    "hold": Action.HOLD,
    "reject": Action.REJECT,
}
_MAX_TYPED_CHARS = 60
"""A typed form longer than this is cut in the reason's detail."""


class WordStage(PerItemStage):
    """Finds listed words in each comment body."""

    name = "words"

    def __init__(
        self,
        matcher_for: Callable[[tuple[str, ...], tuple[str, ...]], WordMatcher] = compile_matcher,
        *,
        remember: int = 0,
    ) -> None:
        """`remember`: how many bodies' matches to keep per list. A replay judges each
        body twice, under the saved policy and the proposed one, mostly with one list;
        the worker sees each body once and keeps none."""
        # `compile_matcher` caches one compiled list per (additions, allowlist).
        self._matcher_for = matcher_for
        self._remember = remember
        self._found: dict[tuple[WordMatcher, str], list[Match]] = {}

    def check(self, item: Item) -> list[Reason]:
        policy = item.policy
        allow = policy.words_allow
        if policy.ordinary_words_pass:
            allow = _with_ordinary(allow, policy.words_add)
        matcher = self._matcher_for(policy.words_add, allow)
        found = self._find(matcher, item.body) if self._remember else matcher.find(item.body)
        if not found:
            return []
        action = PROFANITY_ACTIONS[policy.profanity]
        by_word: dict[str, list[Match]] = {}
        for match in found:
            by_word.setdefault(match.word, []).append(match)
        return [
            Reason("words", _detail(word, matches), action, tuple(m.span for m in matches))
            for word, matches in by_word.items()
        ]

    def _find(self, matcher: WordMatcher, body: str) -> list[Match]:
        key = (matcher, body)
        found = self._found.get(key)
        if found is None:
            found = matcher.find(body)
            if len(self._found) >= self._remember:
                # The oldest goes; two replays at once (two threads) may race for it.
                with contextlib.suppress(RuntimeError, StopIteration):
                    self._found.pop(next(iter(self._found)), None)
            self._found[key] = found
        return found


@functools.lru_cache(maxsize=256)
def _with_ordinary(allow: tuple[str, ...], add: tuple[str, ...]) -> tuple[str, ...]:
    """The site's allowlist plus the ordinary words it did not add back to the list."""
    added = {w.casefold() for w in add}
    return tuple(sorted({*allow, *(w for w in ORDINARY_WORDS if w not in added)}))


def _detail(word: str, matches: list[Match]) -> str:
    """'listed word "fuck" as "f u c k"', or just 'listed word "damn"' when typed as listed."""
    typed = list(dict.fromkeys(m.typed for m in matches))
    detail = f'listed word "{word}"'
    if any(t.casefold() != word.casefold() for t in typed):
        detail += " as " + ", ".join(f'"{_cut(t)}"' for t in typed)
    if len(matches) > 1:
        detail += f" ({len(matches)} times)"
    return detail


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TYPED_CHARS else text[: _MAX_TYPED_CHARS - 1] + "…"
