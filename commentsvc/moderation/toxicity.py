"""Stage 8 of DESIGN.md §5 (optional extra `commentsvc[toxicity]`): a toxicity score.

The model is the offline one shipped inside alt-profanity-check (a linear
classifier over character n-grams; nothing is downloaded at run time). The
stage scores a whole batch in one call and holds a comment whose score is at
or above its site's `toxicity_threshold`; sites without a threshold are not
scored. Without the extra installed, `load_toxicity_stage` logs that the stage
is unavailable and returns None, and the pipeline runs without it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence

from commentsvc.models import Action, Reason
from commentsvc.moderation.types import Item

log = logging.getLogger(__name__)

Scorer = Callable[[list[str]], Sequence[float]]
"""Scores a batch of texts in one call: the probability each is toxic, 0 to 1."""

MODEL_PACKAGE = "profanity_check"
"""The module alt-profanity-check installs."""


class ToxicityStage:
    """Holds comments the model scores at or above the site's threshold."""

    name = "toxicity"

    def __init__(self, score: Scorer) -> None:
        self._score = score

    def evaluate(self, items: Sequence[Item]) -> list[list[Reason]]:
        reasons: list[list[Reason]] = [[] for _ in items]
        scored = [i for i, item in enumerate(items) if item.policy.toxicity_threshold is not None]
        if not scored:
            return reasons
        scores = self._score([items[i].body for i in scored])
        for i, score in zip(scored, scores, strict=True):
            threshold = items[i].policy.toxicity_threshold
            if threshold is not None and float(score) >= threshold:
                detail = f"toxicity score {float(score):.2f} (threshold {threshold:.2f})"
                reasons[i].append(Reason("toxicity", detail, Action.HOLD))
        return reasons


def load_toxicity_stage() -> ToxicityStage | None:
    """The stage with alt-profanity-check's model, or None (logged) when it is not installed."""
    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        log.warning(
            "toxicity stage unavailable: %s; install the extra commentsvc[toxicity] "
            "(alt-profanity-check) to score comments",
            exc,
        )
        return None
    predict_prob: Callable[[list[str]], Sequence[float]] = module.predict_prob

    def score(texts: list[str]) -> list[float]:
        return [float(p) for p in predict_prob(texts)]

    return ToxicityStage(score)
