"""The comment lifecycle (DESIGN.md §4) as one table: every action that changes a comment,
who takes it, the states it may start from and the state it leads to.

This is the only place that names which transitions are allowed. The worker
(`automod`), the moderators' decisions and edits (`review.decisions`), the
editors' desk (`review.desk`), a reader's own edits, deletions and flags
(`reader_actions`) and erasure (`rights.erase`) each look their step up here
and build their compare-and-set `Transition` with `Step.transition`; the store
applies it only if the comment is still in one of the step's sources.
tests/comments/test_lifecycle.py walks every (action, state) pair through the
public and moderator APIs and the worker and checks each answer against `STEPS`.

    received ──moderate──▶ approved | pending | spam | rejected
    received/pending/spam/rejected ──approve──▶ approved       (moderator)
    received/pending/approved/spam ──reject──▶ rejected        (moderator)
    received/pending/approved/rejected ──spam──▶ spam          (moderator)
    any but deleted ──delete──▶ deleted                         (moderator)
    deleted/rejected/spam ──restore──▶ pending                 (moderator)
    any but deleted ──edit──▶ (unchanged)                       (moderator)
    any ──feature / unfeature──▶ (unchanged)                   (moderator)
    received/pending/approved ──edit_own──▶ received           (author: moderated again)
    any but deleted ──delete_own──▶ deleted                     (author)
    received ──staff_reply──▶ approved  (a new staff reply, at once: moderator)
    approved ──flagged──▶ pending                               (readers, at the threshold)
    any ──erase──▶ deleted;  any ──anonymise──▶ (unchanged)    (admin, data rights)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commentsvc.comments.posting import body_fingerprint
from commentsvc.models import Status
from commentsvc.render import render_body
from commentsvc.store.records import Transition

S = Status
EVERY = frozenset(Status)
LIVE = EVERY - {S.DELETED}
VERDICTS = frozenset({S.APPROVED, S.PENDING, S.SPAM, S.REJECTED})
"""What the automatic moderator may decide."""


class Act(enum.StrEnum):
    """An action on a comment; its value is the action written to the audit trail."""

    MODERATE = "moderate"
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    RESTORE = "restore"
    EDIT = "edit"
    FEATURE = "feature"
    UNFEATURE = "unfeature"
    EDIT_OWN = "edit_own"
    DELETE_OWN = "delete_own"
    FLAGGED = "flagged"
    STAFF_REPLY = "staff_reply"
    ERASE = "erase"
    ANONYMISE = "anonymise"


class Who(enum.StrEnum):
    WORKER = "worker"
    MODERATOR = "moderator"
    AUTHOR = "author"
    READERS = "readers"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Step:
    act: Act
    who: Who
    sources: frozenset[Status]
    targets: frozenset[Status]
    """Where the step leads; empty: the comment keeps its status."""
    done: str
    """The step as a past participle, for messages ("approved", "marked spam")."""
    audit: str
    """The action in the audit trail (a reader's edit is an "edit" there too)."""

    def allows(self, status: Status) -> bool:
        return status in self.sources

    @property
    def keeps_status(self) -> bool:
        return not self.targets

    def target(self, current: Status, to: Status | None = None) -> Status:
        """Where a comment now in `current` goes; `to` picks among several targets."""
        if self.keeps_status:
            return current
        if to is None:
            (only,) = self.targets
            return only
        if to not in self.targets:
            raise ValueError(f"{self.act} leads to {sorted(self.targets)}, not {to}")
        return to

    def transition(
        self,
        comment_id: str,
        current: Status,
        actor: str,
        *,
        to: Status | None = None,
        note: str = "",
        changes: dict[str, Any] | None = None,
        expected_version: int | None = None,
        require_no_replies: bool = False,
    ) -> Transition:
        """The compare-and-set change for a comment the caller saw in `current`.

        A step that moves a comment may start from any of its sources (a decision
        on a comment that changed meanwhile between two of them still applies); one
        that keeps the status starts only from `current`, so it can't resurrect or
        hide a comment someone else moved."""
        if not self.allows(current):
            raise ValueError(f"{self.act} is not allowed from {current}")
        return Transition(
            comment_id=comment_id,
            from_statuses=frozenset({current}) if self.keeps_status else self.sources,
            to_status=self.target(current, to),
            actor=actor,
            action=self.audit,
            note=note,
            changes=changes or {},
            require_no_replies=require_no_replies,
            expected_version=expected_version,
        )


def _step(
    act: Act, who: Who, sources: frozenset[Status], targets: frozenset[Status], done: str
) -> Step:
    audit = {Act.EDIT_OWN: "edit", Act.DELETE_OWN: "delete", Act.ANONYMISE: "erase"}.get(
        act, act.value
    )
    return Step(act, who, sources, targets, done, audit)


_KEEP: frozenset[Status] = frozenset()
STEPS: dict[Act, Step] = {
    s.act: s
    for s in (
        _step(Act.MODERATE, Who.WORKER, frozenset({S.RECEIVED}), VERDICTS, "moderated"),
        _step(Act.APPROVE, Who.MODERATOR, EVERY - {S.APPROVED, S.DELETED},
              frozenset({S.APPROVED}), "approved"),
        _step(Act.REJECT, Who.MODERATOR, EVERY - {S.REJECTED, S.DELETED},
              frozenset({S.REJECTED}), "rejected"),
        _step(Act.SPAM, Who.MODERATOR, EVERY - {S.SPAM, S.DELETED},
              frozenset({S.SPAM}), "marked spam"),
        _step(Act.DELETE, Who.MODERATOR, LIVE, frozenset({S.DELETED}), "deleted"),
        _step(Act.RESTORE, Who.MODERATOR, frozenset({S.DELETED, S.REJECTED, S.SPAM}),
              frozenset({S.PENDING}), "restored"),
        _step(Act.EDIT, Who.MODERATOR, LIVE, _KEEP, "edited"),
        _step(Act.FEATURE, Who.MODERATOR, EVERY, _KEEP, "featured"),
        _step(Act.UNFEATURE, Who.MODERATOR, EVERY, _KEEP, "unfeatured"),
        _step(Act.EDIT_OWN, Who.AUTHOR, frozenset({S.RECEIVED, S.PENDING, S.APPROVED}),
              frozenset({S.RECEIVED}), "edited"),
        _step(Act.DELETE_OWN, Who.AUTHOR, LIVE, frozenset({S.DELETED}), "deleted"),
        _step(Act.STAFF_REPLY, Who.MODERATOR, frozenset({S.RECEIVED}), frozenset({S.APPROVED}),
              "published"),
        _step(Act.FLAGGED, Who.READERS, frozenset({S.APPROVED}), frozenset({S.PENDING}), "flagged"),
        _step(Act.ERASE, Who.ADMIN, EVERY, frozenset({S.DELETED}), "erased"),
        _step(Act.ANONYMISE, Who.ADMIN, EVERY, _KEEP, "anonymised"),
    )
}  # fmt: skip

DECISIONS: tuple[Act, ...] = (Act.APPROVE, Act.REJECT, Act.SPAM, Act.DELETE, Act.RESTORE)
"""The actions of POST /api/v1/moderation/decisions, in the order the API lists them."""


def edit_changes(body: str, moderation: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What an edit changes, by its author or a moderator: the text, its HTML and
    fingerprint, when, and the moderation record the edit leaves."""
    return {
        "body": body,
        "body_html": render_body(body),
        "body_hash": body_fingerprint(body),
        "edited_at": now,
        "moderation": moderation,
    }


def step(act: Act | str) -> Step:
    return STEPS[Act(act)]


def decision(action: str) -> Step | None:
    """The moderators' decision called `action`, or None when there is none."""
    try:
        act = Act(action)
    except ValueError:
        return None
    return STEPS[act] if act in DECISIONS else None
