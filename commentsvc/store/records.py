"""Rows to domain records, and the request types the store takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping

from commentsvc.models import Anchor, Comment, Kind, Site, Status, Thread


def comment_from_row(row: Mapping[Any, Any]) -> Comment:
    anchor = row["anchor"]
    return Comment(
        id=row["id"],
        site_id=row["site_id"],
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        root_id=row["root_id"],
        depth=row["depth"],
        kind=Kind(row["kind"]),
        anchor=Anchor(**anchor) if anchor else None,
        author_name=row["author_name"],
        author_email=row["author_email"],
        ip_hash=row["ip_hash"],
        user_agent=row["user_agent"],
        body=row["body"],
        body_html=row["body_html"],
        body_hash=row["body_hash"],
        status=Status(row["status"]),
        moderation=row["moderation"] or {},
        votes_up=row["votes_up"],
        votes_down=row["votes_down"],
        flag_count=row["flag_count"],
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        first_approved_at=row["first_approved_at"],
        notified_at=row["notified_at"],
        edit_token_hash=row["edit_token_hash"],
        version=row["version"],
        honeypot=bool(row["honeypot"]),
        flags_reviewed=int(row.get("flags_reviewed", 0) or 0),
        featured_at=row.get("featured_at"),
        staff=bool(row.get("staff", False)),
    )


def thread_from_row(row: RowMapping) -> Thread:
    return Thread(
        id=row["id"],
        site_id=row["site_id"],
        key=row["key"],
        url=row["url"],
        title=row["title"],
        closed=bool(row["closed"]),
        count=row["count"],
        feedback_count=row["feedback_count"],
        version=row["version"],
        published_at=row.get("published_at"),
        auto_close=bool(row.get("auto_close", True)),
    )


def site_from_row(row: RowMapping) -> Site:
    return Site(
        id=row["id"],
        name=row["name"],
        allowed_origins=tuple(row["allowed_origins"] or ()),
        policy=dict(row["policy"] or {}),
    )


@dataclass(frozen=True, slots=True)
class Transition:
    """A compare-and-set status change, with the audit event it writes."""

    comment_id: str
    from_statuses: frozenset[Status]
    to_status: Status
    actor: str
    action: str
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    require_no_replies: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """What changed: the comment after, where it came from, and its thread's new version."""

    comment: Comment
    from_status: Status
    first_approval: bool
    thread: Thread


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """Top-level comments of one page, every visible reply below them, and the next cursor."""

    top: list[Comment]
    replies: list[Comment]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    comment_id: str
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str
    at: datetime
