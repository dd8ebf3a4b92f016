"""Run the stages in order and turn their reasons into one verdict per comment."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from commentsvc.models import Action, Reason, Verdict
from commentsvc.moderation.censor import mask_spans
from commentsvc.moderation.stages import BansStage, KeysStage, LinksStage, SignalsStage, TrustStage
from commentsvc.moderation.types import Item, Stage
from commentsvc.policy import Policy

log = logging.getLogger(__name__)

WARM_TEXT = "Thanks for the report on the ferry timetable; see https://example.org/ferry."
"""What `Pipeline.warm` moderates: a plain sentence with a link, so every stage runs."""
WARM_POLICIES = 50
"""At most this many sites' word lists are compiled before the first job (the rest
compile when their first comment comes, then stay cached)."""


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

    def run_safely(self, items: Sequence[Item]) -> list[Verdict]:
        """`run`, but a comment a stage fails on is held for a person, not retried forever.

        A stage raising on one comment's text would otherwise fail its whole batch on
        every delivery: the batch is run again one comment at a time, and a comment
        that still fails gets a `moderation_error` reason and waits in the queue.
        """
        try:
            return self.run(items)
        except Exception:
            if len(items) == 1:
                log.exception("moderation failed on a comment; holding it for review")
                return [_failed(items[0])]
            log.exception("moderation failed on a batch of %d; trying one by one", len(items))
        return [self.run_safely([item])[0] for item in items]

    def warm(self, policies: Iterable[Policy] = ()) -> int:
        """Run every stage once, on a made-up comment under each distinct word list.

        The first comment would otherwise pay for compiling its site's word list (1.5 s
        of CPU on a small VM) and for whatever else a stage does once, such as the
        toxicity model's first run for a site that has it on; the worker calls this
        before it takes a job. Returns how many policies were run.
        """
        distinct: dict[tuple[tuple[str, ...], tuple[str, ...], bool], Policy] = {}
        for policy in (Policy(), *policies):
            key = (policy.words_add, policy.words_allow, policy.ordinary_words_pass)
            distinct.setdefault(key, policy)
        chosen = list(distinct.values())[:WARM_POLICIES]
        self.run([Item(WARM_TEXT, policy=policy) for policy in chosen])
        return len(chosen)

    def run(self, items: Sequence[Item]) -> list[Verdict]:
        """Moderate a batch; the result lines up with `items`."""
        collected: list[list[Reason]] = [[] for _ in items]
        for stage in self.stages:
            for bucket, found in zip(collected, stage.evaluate(items), strict=True):
                bucket.extend(found)
        return [decide(item, reasons) for item, reasons in zip(items, collected, strict=True)]


def _failed(item: Item) -> Verdict:
    reason = Reason("moderation_error", "a moderation stage failed on this text", Action.HOLD)
    return Verdict(action=Action.HOLD, reasons=(reason,), censored_body=None)


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
