"""Run the stages in order and turn their reasons into one verdict per comment."""

from __future__ import annotations

from collections.abc import Sequence

from commentsvc.models import Action, Reason, Verdict
from commentsvc.moderation.censor import mask_spans
from commentsvc.moderation.stages import BansStage, KeysStage, LinksStage, SignalsStage, TrustStage
from commentsvc.moderation.types import Item, Stage


def default_stages(words: Stage | None = None, toxicity: Stage | None = None) -> list[Stage]:
    """The stages of DESIGN.md §5 in order; `words` and `toxicity` plug into their slots."""
    stages: list[Stage] = []
    if words is not None:
        stages.append(words)
    stages += [KeysStage(), BansStage(), LinksStage(), SignalsStage(), TrustStage()]
    if toxicity is not None:
        stages.append(toxicity)
    return stages


class Pipeline:
    """A fixed list of stages plus the policy step that decides."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    def run(self, items: Sequence[Item]) -> list[Verdict]:
        """Moderate a batch; the result lines up with `items`."""
        collected: list[list[Reason]] = [[] for _ in items]
        for stage in self.stages:
            for bucket, found in zip(collected, stage.evaluate(items), strict=True):
                bucket.extend(found)
        return [decide(item, reasons) for item, reasons in zip(items, collected, strict=True)]


def decide(item: Item, reasons: list[Reason]) -> Verdict:
    """The policy step: the most severe reason wins; premoderation holds the rest."""
    action = max((r.action for r in reasons), key=lambda a: a.severity, default=Action.APPROVE)
    if item.policy.mode == "premoderate" and action.severity < Action.HOLD.severity:
        reasons = [
            *reasons,
            Reason("premoderate", "site holds every comment for review", Action.HOLD),
        ]
        action = Action.HOLD
    censor_spans = [s for r in reasons if r.action is Action.CENSOR for s in r.spans]
    censored = mask_spans(item.body, censor_spans) if censor_spans else None
    if action is Action.CENSOR:
        action = Action.APPROVE
    return Verdict(action=action, reasons=tuple(reasons), censored_body=censored)
