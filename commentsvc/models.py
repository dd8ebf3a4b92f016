"""Domain types shared by every layer. Plain data, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Status(enum.StrEnum):
    """Where a comment is in its life (DESIGN.md §4)."""

    RECEIVED = "received"
    APPROVED = "approved"
    PENDING = "pending"
    SPAM = "spam"
    REJECTED = "rejected"
    DELETED = "deleted"


PUBLIC_STATUSES = frozenset({Status.APPROVED, Status.DELETED})


class Kind(enum.StrEnum):
    COMMENT = "comment"
    FEEDBACK = "feedback"


class Action(enum.StrEnum):
    """What a moderation rule asks for, mildest first."""

    APPROVE = "approve"
    CENSOR = "censor"
    HOLD = "hold"
    SPAM = "spam"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Action.APPROVE: 0,
    Action.CENSOR: 1,
    Action.HOLD: 2,
    Action.SPAM: 3,
    Action.REJECT: 4,
}

ACTION_TO_STATUS = {
    Action.APPROVE: Status.APPROVED,
    Action.CENSOR: Status.APPROVED,
    Action.HOLD: Status.PENDING,
    Action.SPAM: Status.SPAM,
    Action.REJECT: Status.REJECTED,
}


class NotifyChoice(enum.StrEnum):
    """The widget's "Notify of" select."""

    NONE = "none"
    REPLIES = "replies"
    THREAD = "thread"


class SubscriptionKind(enum.StrEnum):
    THREAD = "thread"
    REPLIES = "replies"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range [start, end) in the original comment body."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule fired: the rule's name, what it matched, what it asks for."""

    rule: str
    detail: str
    action: Action
    spans: tuple[Span, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "detail": self.detail,
            "action": self.action.value,
        }
        if self.spans:
            out["spans"] = [[s.start, s.end] for s in self.spans]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        spans = tuple(Span(int(a), int(b)) for a, b in data.get("spans", ()))
        return cls(str(data["rule"]), str(data.get("detail", "")), Action(data["action"]), spans)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The moderation outcome for one comment."""

    action: Action
    reasons: tuple[Reason, ...] = ()
    censored_body: str | None = None
    score: float | None = None

    @property
    def status(self) -> Status:
        return ACTION_TO_STATUS[self.action]


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where inline feedback points in the article."""

    quote: str
    prefix: str = ""
    suffix: str = ""
    block: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "quote": self.quote,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "block": self.block,
        }


@dataclass(frozen=True, slots=True)
class Comment:
    """One stored comment, as the service sees it."""

    id: str
    site_id: str
    thread_id: int
    parent_id: str | None
    root_id: str
    depth: int
    kind: Kind
    anchor: Anchor | None
    author_name: str
    author_email: str | None
    ip_hash: str | None
    user_agent: str
    body: str
    body_html: str
    body_hash: str
    status: Status
    moderation: dict[str, Any]
    votes_up: int
    votes_down: int
    flag_count: int
    created_at: datetime
    edited_at: datetime | None
    first_approved_at: datetime | None
    notified_at: datetime | None
    edit_token_hash: str
    version: int
    honeypot: bool = False
    flags_reviewed: int = 0  # reader flags a moderator has already looked at
    featured_at: datetime | None = None  # featured by a moderator (issue 14)
    staff: bool = False  # a staff reply from /moderate (issue 14)

    @property
    def reasons(self) -> list[Reason]:
        return [Reason.from_json(r) for r in self.moderation.get("reasons", [])]


@dataclass(frozen=True, slots=True)
class Thread:
    id: int
    site_id: str
    key: str
    url: str
    title: str
    closed: bool
    count: int
    feedback_count: int
    version: int
    published_at: datetime | None = None  # the article's date, when the embed gave one
    auto_close: bool = True  # false once a moderator reopened it (issue 14)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    allowed_origins: tuple[str, ...]
    policy: dict[str, Any] = field(default_factory=dict)
