"""What moderators read: the review queue with its threads, flags, author history, stats, bans."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from commentsvc import ids
from commentsvc.clock import now_utc
from commentsvc.models import Comment, Status
from commentsvc.store.bans import Ban
from commentsvc.store.cursors import CursorError
from commentsvc.store.engine import Database
from commentsvc.store.records import comment_from_row
from commentsvc.store.tables import bans, comments, events, flags, threads

QUEUE_STATUSES = (
    "pending",
    "flagged",
    "spam",
    "rejected",
    "approved",
    "deleted",
    "received",
    "all",
)
# Queues to work through read oldest first; the rest are archives, newest first.
OLDEST_FIRST = frozenset({"pending", "flagged", "received"})
FLAGGABLE = (Status.APPROVED.value, Status.PENDING.value)
MAX_FLAG_NOTES = 5


@dataclass(frozen=True, slots=True)
class ThreadRef:
    key: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A comment as a moderator sees it: the comment, its thread, flags already reviewed."""

    comment: Comment
    thread: ThreadRef
    flags_reviewed: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[ReviewItem]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class FlagSummary:
    count: int
    reasons: dict[str, int]
    notes: list[str]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One status change in the stats window: who, what, and the comment's moderation record."""

    actor: str
    action: str
    to_status: str
    moderation: dict[str, Any]


def _encode_cursor(direction: str, last_id: str) -> str:
    return base64.urlsafe_b64encode(f"q:{direction}:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(direction: str, cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorError("cursor is not one this API made") from None
    tag, made_for, last_id = [*text.split(":", 2), "", ""][:3]
    if tag != "q" or not ids.looks_like_id(last_id):
        raise CursorError("cursor is not one this API made")
    if made_for != direction:
        raise CursorError("cursor belongs to a different status")
    return last_id


_ITEM_COLUMNS = (
    comments,
    threads.c.key.label("thread_key"),
    threads.c.title.label("thread_title"),
    threads.c.url.label("thread_url"),
)


def _item_query() -> sa.Select[Any]:
    return sa.select(*_ITEM_COLUMNS).join(threads, threads.c.id == comments.c.thread_id)


def _item(row: Any) -> ReviewItem:
    return ReviewItem(
        comment=comment_from_row(row),
        thread=ThreadRef(row["thread_key"], row["thread_title"], row["thread_url"]),
        flags_reviewed=int(row["flags_reviewed"]),
    )


def author_key(comment: Comment) -> str | None:
    """Who wrote it, for history: the email if given, else the address hash."""
    if comment.author_email:
        return "email:" + comment.author_email.lower()
    if comment.ip_hash:
        return "ip:" + comment.ip_hash
    return None


class ReviewStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def queue(
        self,
        site_id: str,
        status: str,
        *,
        thread_key: str = "",
        q: str = "",
        limit: int = 50,
        cursor: str = "",
    ) -> QueuePage:
        """One page of a site's comments in `status` (see QUEUE_STATUSES), filtered and searched."""
        query = _item_query().where(comments.c.site_id == site_id)
        if status == "flagged":
            query = query.where(
                comments.c.flag_count > comments.c.flags_reviewed, comments.c.status.in_(FLAGGABLE)
            )
        elif status != "all":
            query = query.where(comments.c.status == status)
        if thread_key:
            query = query.where(threads.c.key == thread_key)
        if q:
            query = query.where(
                sa.or_(
                    comments.c.body.icontains(q, autoescape=True),
                    comments.c.author_name.icontains(q, autoescape=True),
                    comments.c.author_email.icontains(q, autoescape=True),
                    comments.c.ip_hash == q,
                    comments.c.id == q,
                )
            )
        ascending = status in OLDEST_FIRST
        direction = "asc" if ascending else "desc"
        if cursor:
            last_id = _decode_cursor(direction, cursor)
            query = query.where(comments.c.id > last_id if ascending else comments.c.id < last_id)
        order = comments.c.id.asc() if ascending else comments.c.id.desc()
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(order).limit(limit + 1))).mappings().all()
        items = [_item(r) for r in rows[:limit]]
        next_cursor = _encode_cursor(direction, items[-1].comment.id) if len(rows) > limit else None
        return QueuePage(items, next_cursor)

    async def items(self, comment_ids: Sequence[str]) -> list[ReviewItem]:
        if not comment_ids:
            return []
        async with self.db.read() as conn:
            rows = (
                (await conn.execute(_item_query().where(comments.c.id.in_(list(comment_ids)))))
                .mappings()
                .all()
            )
        return [_item(r) for r in rows]

    async def tree(self, root_id: str, limit: int) -> list[ReviewItem]:
        """A top-level comment and every reply below it, oldest first (at most `limit`)."""
        query = _item_query().where(sa.or_(comments.c.root_id == root_id, comments.c.id == root_id))
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(comments.c.id).limit(limit))).mappings().all()
        return [_item(r) for r in rows]

    async def recent(self, site_id: str, since: datetime, limit: int) -> list[ReviewItem]:
        """A site's comments since `since`, not deleted: the newest `limit`, oldest first."""
        query = (
            _item_query()
            .where(
                comments.c.site_id == site_id,
                comments.c.created_at >= since,
                comments.c.status != Status.DELETED.value,
            )
            .order_by(comments.c.id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_item(r) for r in reversed(rows)]

    async def flags(self, comment_ids: Sequence[str]) -> dict[str, FlagSummary]:
        """Reader reports per comment: how many, by reason, and the latest notes."""
        if not comment_ids:
            return {}
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(flags.c.comment_id, flags.c.reason, flags.c.note)
                    .where(flags.c.comment_id.in_(list(comment_ids)))
                    .order_by(flags.c.created_at.desc())
                )
            ).all()
        counts: dict[str, int] = {}
        reasons: dict[str, dict[str, int]] = {}
        notes: dict[str, list[str]] = {}
        for comment_id, reason, note in rows:
            counts[comment_id] = counts.get(comment_id, 0) + 1
            by_reason = reasons.setdefault(comment_id, {})
            by_reason[reason] = by_reason.get(reason, 0) + 1
            kept = notes.setdefault(comment_id, [])
            if note and len(kept) < MAX_FLAG_NOTES:
                kept.append(note)
        return {cid: FlagSummary(n, reasons[cid], notes[cid]) for cid, n in counts.items()}

    async def author_history(
        self, site_id: str, authored: Iterable[Comment]
    ) -> dict[str, dict[str, int]]:
        """Comment counts by status for each author (see `author_key`) on this site."""
        emails = {c.author_email.lower() for c in authored if c.author_email}
        addresses = {c.ip_hash for c in authored if not c.author_email and c.ip_hash}
        out: dict[str, dict[str, int]] = {}
        async with self.db.read() as conn:
            if emails:
                email = sa.func.lower(comments.c.author_email)
                rows = await conn.execute(
                    sa.select(email, comments.c.status, sa.func.count())
                    .where(comments.c.site_id == site_id, email.in_(sorted(emails)))
                    .group_by(email, comments.c.status)
                )
                for who, status, n in rows:
                    out.setdefault("email:" + who, {})[status] = int(n)
            if addresses:
                rows = await conn.execute(
                    sa.select(comments.c.ip_hash, comments.c.status, sa.func.count())
                    .where(comments.c.site_id == site_id, comments.c.ip_hash.in_(sorted(addresses)))
                    .group_by(comments.c.ip_hash, comments.c.status)
                )
                for who, status, n in rows:
                    out.setdefault("ip:" + who, {})[status] = int(n)
        return out

    async def ban_candidates(
        self,
        site_id: str,
        kind: str,
        value: str,
        statuses: Sequence[str],
        *,
        after_id: str = "",
        limit: int = 500,
    ) -> list[Comment]:
        """Comments a ban may cover, oldest first (a superset: the caller applies the ban rule)."""
        needle = value.lower()
        if kind == "email":
            who = sa.func.lower(comments.c.author_email) == needle
        elif kind == "ip":
            who = comments.c.ip_hash == value
        elif kind == "name":
            who = sa.or_(
                sa.func.lower(comments.c.author_name) == needle, comments.c.author_name == value
            )
        else:  # domain: in the email address, or linked from the body
            email = sa.func.lower(comments.c.author_email)
            who = sa.or_(
                email.endswith("@" + needle, autoescape=True),
                email.endswith("." + needle, autoescape=True),
                comments.c.body.icontains(needle, autoescape=True),
            )
        query = sa.select(comments).where(
            comments.c.site_id == site_id, comments.c.status.in_(list(statuses)), who
        )
        if after_id:
            query = query.where(comments.c.id > after_id)
        async with self.db.read() as conn:
            rows = (
                (await conn.execute(query.order_by(comments.c.id.asc()).limit(limit)))
                .mappings()
                .all()
            )
        return [comment_from_row(r) for r in rows]

    # ----- stats ------------------------------------------------------------------

    async def status_counts(self, site_id: str) -> dict[str, int]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(comments.c.status, sa.func.count())
                .where(comments.c.site_id == site_id)
                .group_by(comments.c.status)
            )
            counts = {str(status): int(n) for status, n in rows}
            counts["flagged"] = int(
                await conn.scalar(
                    sa.select(sa.func.count()).where(
                        comments.c.site_id == site_id,
                        comments.c.flag_count > comments.c.flags_reviewed,
                        comments.c.status.in_(FLAGGABLE),
                    )
                )
                or 0
            )
        return counts

    async def oldest_created(self, site_id: str, status: Status) -> datetime | None:
        async with self.db.read() as conn:
            found: datetime | None = await conn.scalar(
                sa.select(sa.func.min(comments.c.created_at)).where(
                    comments.c.site_id == site_id, comments.c.status == status.value
                )
            )
        return found

    async def decisions_since(
        self, site_id: str, since: datetime, actions: Sequence[str]
    ) -> list[DecisionRow]:
        """Status changes of these actions since `since`, with the comment's moderation record."""
        query = (
            sa.select(events.c.actor, events.c.action, events.c.to_status, comments.c.moderation)
            .join(comments, comments.c.id == events.c.comment_id)
            .where(
                comments.c.site_id == site_id,
                events.c.at >= since,
                events.c.action.in_(list(actions)),
                events.c.to_status.is_not(None),
            )
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [DecisionRow(a, act, str(to), m or {}) for a, act, to, m in rows]

    # ----- bans -------------------------------------------------------------------

    async def bans(self, site_id: str, *, include_expired: bool = False) -> list[Ban]:
        query = sa.select(bans).where(bans.c.site_id == site_id)
        if not include_expired:
            query = query.where(sa.or_(bans.c.expires_at.is_(None), bans.c.expires_at > now_utc()))
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(bans.c.id.desc()))).mappings().all()
        return [Ban(**dict(r)) for r in rows]

    async def ban(self, ban_id: int) -> Ban | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(sa.select(bans).where(bans.c.id == ban_id))).mappings().first()
            )
        return Ban(**dict(row)) if row else None
