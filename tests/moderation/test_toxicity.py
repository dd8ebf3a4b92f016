"""The optional toxicity stage: one model call per batch, holds at the site's threshold."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import pytest

from commentsvc.models import Action
from commentsvc.moderation.toxicity import MODEL_PACKAGE, ToxicityStage, load_toxicity_stage
from commentsvc.moderation.types import Item
from commentsvc.policy import Policy


class Scores:
    """A stand-in model with fixed scores that records each call (for the batching rules)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> Sequence[float]:
        self.calls.append(texts)
        return [self.scores[t] for t in texts]


def at(threshold: float | None) -> Policy:
    return Policy(toxicity_threshold=threshold)


def test_scores_the_batch_in_one_call_and_holds_at_the_threshold() -> None:
    model = Scores({"a": 0.95, "b": 0.80, "c": 0.79, "d": 0.99})
    stage = ToxicityStage(model)
    found = stage.evaluate(
        [Item("a", policy=at(0.8)), Item("b", policy=at(0.8)), Item("c", policy=at(0.8)), Item("d")]
    )
    assert model.calls == [["a", "b", "c"]]  # "d": its site has no threshold
    held_a, held_b, not_c, not_d = found
    assert [r.action for r in held_a] == [Action.HOLD]
    assert held_a[0].rule == "toxicity"
    assert held_a[0].detail == "toxicity score 0.95 (threshold 0.80)"
    assert [r.action for r in held_b] == [Action.HOLD]  # at the threshold
    assert not_c == [] and not_d == []


def test_no_call_when_no_site_asks_for_a_score() -> None:
    model = Scores({})
    assert ToxicityStage(model).evaluate([Item("x"), Item("y")]) == [[], []]
    assert model.calls == []


def test_unavailable_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, MODEL_PACKAGE, None)  # import fails as if not installed
    with caplog.at_level(logging.WARNING, logger="commentsvc.moderation.toxicity"):
        assert load_toxicity_stage() is None
    assert "toxicity stage unavailable" in caplog.text
    assert "commentsvc[toxicity]" in caplog.text


def test_the_shipped_model_holds_a_threat() -> None:
    pytest.importorskip(
        MODEL_PACKAGE, reason="the toxicity extra (alt-profanity-check) is not installed"
    )
    stage = load_toxicity_stage()
    assert stage is not None
    threat, thanks = stage.evaluate(
        [
            Item("you are an idiot and should die", policy=at(0.8)),
            Item("Thanks for the report, a fair summary of the meeting.", policy=at(0.8)),
        ]
    )
    assert [r.action for r in threat] == [Action.HOLD]
    assert thanks == []
