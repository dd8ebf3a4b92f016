"""Comments: insert, read, thread pages, the facts moderation asks for; transitions go
through `store.transitions` (compare-and-set with their audit events) and pages are
continued with `store.cursors`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.models import Comment, Kind, Status

# Named here too for `comments.reading` and `web.handlers.public` (the speed work's files).
from commentsvc.store.cursors import CursorError as CursorError
from commentsvc.store.cursors import Sort as Sort
from commentsvc.store.cursors import decode_cursor as decode_cursor
from commentsvc.store.cursors import encode_cursor
from commentsvc.store.engine import Database
from commentsvc.store.records import (
    EventRecord,
    ThreadPage,
    Transition,
    TransitionResult,
    comment_from_row,
)
from commentsvc.store.subscriptions import chunks
from commentsvc.store.tables import comments, events
from commentsvc.store.transitions import VISIBLE, apply_transitions

_child = comments.alias("child")
_HAS_VISIBLE_CHILD = sa.exists().where(
    _child.c.parent_id == comments.c.id, _child.c.status.in_(VISIBLE)
)


class CommentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert new comments in one transaction (the API's group commit)."""
        if not rows:
            return
        async with self.db.write() as conn:
            await conn.execute(comments.insert(), list(rows))
            now = now_utc()
            await conn.execute(
                events.insert(),
                [
                    {
                        "comment_id": r["id"],
                        "actor": "author",
                        "action": "post",
                        "from_status": None,
                        "to_status": r["status"],
                        "note": "",
                        "at": now,
                    }
                    for r in rows
                ],
            )

    async def get(self, comment_id: str) -> Comment | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(sa.select(comments).where(comments.c.id == comment_id)))
                .mappings()
                .first()
            )
        return comment_from_row(row) if row else None

    async def chain_up(self, comment_id: str) -> list[tuple[str, str | None, str]]:
        """(id, author_email, status) of a comment and each of its ancestors up to the root."""
        start = (
            sa.select(
                comments.c.id, comments.c.parent_id, comments.c.author_email, comments.c.status
            )
            .where(comments.c.id == comment_id)
            .cte("ancestors", recursive=True)
        )
        up = comments.alias("up")
        chain = start.union_all(
            sa.select(up.c.id, up.c.parent_id, up.c.author_email, up.c.status).where(
                up.c.id == start.c.parent_id
            )
        )
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(chain.c.id, chain.c.author_email, chain.c.status))
            return [(r[0], r[1], r[2]) for r in rows]

    async def get_many(self, ids: Sequence[str]) -> list[Comment]:
        if not ids:
            return []
        async with self.db.read() as conn:
            rows = (
                (await conn.execute(sa.select(comments).where(comments.c.id.in_(list(ids)))))
                .mappings()
                .all()
            )
        return [comment_from_row(r) for r in rows]

    async def has_replies(self, comment_id: str) -> bool:
        async with self.db.read() as conn:
            found = await conn.scalar(
                sa.select(comments.c.id).where(comments.c.parent_id == comment_id).limit(1)
            )
        return found is not None

    async def thread_page(
        self,
        thread_id: int,
        *,
        sort: Sort = "newest",
        feedback_only: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> ThreadPage:
        """One page of top-level comments (approved, or deleted with replies), all replies below."""
        query = sa.select(comments).where(
            comments.c.thread_id == thread_id,
            comments.c.parent_id.is_(None),
            sa.or_(
                comments.c.status == Status.APPROVED.value,
                sa.and_(comments.c.status == Status.DELETED.value, _HAS_VISIBLE_CHILD),
            ),
        )
        if feedback_only:
            query = query.where(comments.c.kind == Kind.FEEDBACK.value)
        if sort == "top":
            order = [comments.c.score.desc(), comments.c.id.desc()]
        elif sort == "oldest":
            order = [comments.c.id.asc()]
        else:
            order = [comments.c.id.desc()]
        if cursor:
            score, last_id = decode_cursor(sort, cursor)
            if sort == "top":
                query = query.where(
                    sa.or_(
                        comments.c.score < score,
                        sa.and_(comments.c.score == score, comments.c.id < last_id),
                    )
                )
            elif sort == "oldest":
                query = query.where(comments.c.id > last_id)
            else:
                query = query.where(comments.c.id < last_id)
        query = query.order_by(*order).limit(limit + 1)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
            top = [comment_from_row(r) for r in rows[:limit]]
            replies: list[Comment] = []
            if top:
                reply_rows = (
                    (
                        await conn.execute(
                            sa.select(comments)
                            .where(
                                comments.c.root_id.in_([c.id for c in top]),
                                comments.c.parent_id.is_not(None),
                                comments.c.status.in_(VISIBLE),
                            )
                            .order_by(comments.c.id.asc())
                        )
                    )
                    .mappings()
                    .all()
                )
                replies = [comment_from_row(r) for r in reply_rows]
        next_cursor = encode_cursor(sort, top[-1]) if len(rows) > limit else None
        return ThreadPage(top=top, replies=replies, next_cursor=next_cursor)

    async def transition(self, t: Transition) -> TransitionResult | None:
        """Compare-and-set a comment's status; None when it was not in one of `from_statuses`.

        In the same transaction: the audit event, the thread's approved counts,
        and the thread's version when anything public changed.
        """
        return (await self.transition_many([t]))[0]

    async def transition_many(self, ts: Sequence[Transition]) -> list[TransitionResult | None]:
        """Apply several transitions in one transaction; each succeeds or fails on its own."""
        if not ts:
            return []
        async with self.db.write() as conn:
            return await apply_transitions(conn, ts)

    async def events(self, comment_id: str) -> list[EventRecord]:
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(events)
                        .where(events.c.comment_id == comment_id)
                        .order_by(events.c.id)
                    )
                )
                .mappings()
                .all()
            )
        return [EventRecord(**dict(r)) for r in rows]

    async def events_many(self, comment_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
        """The audit trails of several comments, oldest event first."""
        out: dict[str, list[EventRecord]] = {c: [] for c in comment_ids}
        if not comment_ids:
            return out
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(events)
                        .where(events.c.comment_id.in_(list(comment_ids)))
                        .order_by(events.c.id)
                    )
                )
                .mappings()
                .all()
            )
        for r in rows:
            out[r["comment_id"]].append(EventRecord(**dict(r)))
        return out

    async def ids_in_status_before(
        self, status: Status, before: datetime, limit: int = 500
    ) -> list[str]:
        """Ids of comments still in `status` created before `before` (the sweeper's work list)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(comments.c.id)
                .where(comments.c.status == status.value, comments.c.created_at < before)
                .order_by(comments.c.created_at)
                .limit(limit)
            )
            return [r[0] for r in rows]

    async def approved_unnotified_before(self, before: datetime, limit: int = 500) -> list[str]:
        """Approved comments whose notifications were never fanned out (lost doorbell)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(comments.c.id)
                .where(
                    comments.c.first_approved_at.is_not(None),
                    comments.c.first_approved_at < before,
                    comments.c.notified_at.is_(None),
                    # one held again waits for approval; rejected or deleted ones end here
                    comments.c.status != Status.PENDING.value,
                    comments.c.status != Status.RECEIVED.value,
                )
                .order_by(comments.c.first_approved_at)
                .limit(limit)
            )
            return [r[0] for r in rows]

    async def mark_notified_many(self, comment_ids: Sequence[str]) -> None:
        """Mark comments whose approval notifies nobody as handled, in one statement."""
        if not comment_ids:
            return
        async with self.db.write() as conn:
            await conn.execute(
                comments.update()
                .where(comments.c.id.in_(list(comment_ids)), comments.c.notified_at.is_(None))
                .values(notified_at=now_utc())
            )

    async def count_approved_by_authors(
        self, authors: Collection[tuple[str, str | None, str | None]]
    ) -> dict[tuple[str, str | None, str | None], int]:
        """Approved comments by each author: (name, lower-case email) counts comments with
        that email and name; (name, None, address) those from that address with that name;
        (name, None, None) counts none. Two grouped queries per 500 authors."""
        found: dict[tuple[str, str | None, str | None], int] = dict.fromkeys(authors, 0)
        by_email = sorted({email for _, email, _ in authors if email})
        by_address = sorted({ip for _, email, ip in authors if not email and ip})
        email_col = sa.func.lower(comments.c.author_email)
        async with self.db.read() as conn:
            for part in chunks(by_email, 500):
                rows = await conn.execute(
                    sa.select(email_col, comments.c.author_name, sa.func.count())
                    .where(comments.c.status == Status.APPROVED.value, email_col.in_(part))
                    .group_by(email_col, comments.c.author_name)
                )
                for email, name, n in rows:
                    if (name, email, None) in found:
                        found[(name, email, None)] = int(n)
            for part in chunks(by_address, 500):
                rows = await conn.execute(
                    sa.select(comments.c.ip_hash, comments.c.author_name, sa.func.count())
                    .where(comments.c.status == Status.APPROVED.value, comments.c.ip_hash.in_(part))
                    .group_by(comments.c.ip_hash, comments.c.author_name)
                )
                for ip_hash, name, n in rows:
                    if (name, None, ip_hash) in found:
                        found[(name, None, ip_hash)] = int(n)
        return found

    async def recent_by_body(
        self, body_hashes: Sequence[str], since: datetime, until: datetime
    ) -> list[tuple[str, str, str, datetime]]:
        """(id, site, body hash, created) of comments from `since` to `until` with any of
        these bodies."""
        if not body_hashes:
            return []
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(
                    comments.c.id, comments.c.site_id, comments.c.body_hash, comments.c.created_at
                ).where(
                    comments.c.body_hash.in_(list(set(body_hashes))),
                    comments.c.created_at.between(since, until),
                    comments.c.status != Status.DELETED.value,
                )
            )
            return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def recent_by_ip(
        self, ip_hashes: Sequence[str], since: datetime, until: datetime
    ) -> list[tuple[str, str, datetime]]:
        """(id, ip hash, created) of comments from `since` to `until` from any of these
        addresses."""
        if not ip_hashes:
            return []
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(comments.c.id, comments.c.ip_hash, comments.c.created_at).where(
                    comments.c.ip_hash.in_(list(set(ip_hashes))),
                    comments.c.created_at.between(since, until),
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def find_duplicate(
        self,
        thread_id: int,
        body_hash: str,
        ip_hash: str | None,
        email: str | None,
        since: datetime,
    ) -> str | None:
        """A comment with the same body by the same author in the same thread since `since`."""
        who = []
        if ip_hash:
            who.append(comments.c.ip_hash == ip_hash)
        if email:
            who.append(comments.c.author_email == email)
        if not who:
            return None
        async with self.db.read() as conn:
            found = await conn.scalar(
                sa.select(comments.c.id)
                .where(
                    comments.c.thread_id == thread_id,
                    comments.c.body_hash == body_hash,
                    comments.c.created_at >= since,
                    sa.or_(*who),
                )
                .limit(1)
            )
        return str(found) if found is not None else None
