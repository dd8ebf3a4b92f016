"""Desk rules in the database (issue 14): auto-close, the Featured strip, staff replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.models import Comment, Status, Thread
from commentsvc.store.engine import Database
from commentsvc.store.records import Transition, TransitionResult, comment_from_row, thread_from_row
from commentsvc.store.tables import UTCDateTime, comments, events, threads
from commentsvc.store.transitions import apply_transitions

FEATURED_MAX = 10
"""At most this many comments in a thread's Featured strip (the newest featured first)."""


class DeskStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def opened_at(self, thread: Thread) -> datetime | None:
        """When auto-close starts counting: the article's date, else the first comment."""
        if thread.published_at is not None:
            return thread.published_at
        async with self.db.read() as conn:
            first: datetime | None = await conn.scalar(
                sa.select(sa.func.min(comments.c.created_at)).where(
                    comments.c.thread_id == thread.id
                )
            )
        return _aware(first)

    async def open_threads(
        self, site_id: str, opened_before: datetime, limit: int = 500
    ) -> list[tuple[Thread, datetime]]:
        """Open threads auto-close may close whose clock started before `opened_before`,
        with that start (the article's date, else the first comment)."""
        first = (
            sa.select(sa.func.min(comments.c.created_at))
            .where(comments.c.thread_id == threads.c.id)
            .scalar_subquery()
        )
        started = sa.func.coalesce(threads.c.published_at, first).label("started")
        query = (
            sa.select(threads, started)
            .where(
                threads.c.site_id == site_id,
                threads.c.closed.is_(False),
                threads.c.auto_close.is_(True),
                started < opened_before,
            )
            .order_by(threads.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        out = []
        for r in rows:
            at = _aware(r["started"])
            if at is not None:
                out.append((thread_from_row(r), at))
        return out

    async def auto_close(self, thread_id: int) -> Thread | None:
        """Close an open thread auto-close may close (compare-and-set); None if it moved on."""
        async with self.db.write() as conn:
            done = await conn.execute(
                threads.update()
                .where(
                    threads.c.id == thread_id,
                    threads.c.closed.is_(False),
                    threads.c.auto_close.is_(True),
                )
                .values(closed=True, version=threads.c.version + 1)
            )
            if done.rowcount != 1:
                return None
            row = (
                (await conn.execute(sa.select(threads).where(threads.c.id == thread_id)))
                .mappings()
                .first()
            )
        return thread_from_row(row) if row else None

    async def keep_open(self, thread_id: int) -> None:
        """A moderator reopened the thread: auto-close leaves it open from now on."""
        async with self.db.write() as conn:
            await conn.execute(
                threads.update().where(threads.c.id == thread_id).values(auto_close=False)
            )

    async def set_published(self, thread_id: int, published_at: datetime) -> None:
        """The article's date, kept from the first embed that gave one."""
        async with self.db.write() as conn:
            await conn.execute(
                threads.update()
                .where(threads.c.id == thread_id, threads.c.published_at.is_(None))
                .values(published_at=published_at, version=threads.c.version + 1)
            )

    async def featured(self, thread_id: int, limit: int = FEATURED_MAX) -> list[Comment]:
        """The approved featured comments of a thread, newest featured first."""
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(comments)
                        .where(
                            comments.c.thread_id == thread_id,
                            comments.c.featured_at.is_not(None),
                            comments.c.status == Status.APPROVED.value,
                        )
                        .order_by(comments.c.featured_at.desc(), comments.c.id.desc())
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        return [comment_from_row(r) for r in rows]

    async def insert_and_move(
        self, row: dict[str, Any], actor: str, move: Transition
    ) -> TransitionResult:
        """Insert a comment and apply `move` to it in one transaction (a staff reply is
        approved with no moment at which a worker could see it `received`)."""
        async with self.db.write() as conn:
            await conn.execute(comments.insert().values(**row))
            await conn.execute(
                events.insert().values(
                    comment_id=row["id"],
                    actor=actor,
                    action="post",
                    from_status=None,
                    to_status=Status.RECEIVED.value,
                    note="",
                    at=row["created_at"],
                )
            )
            results: Sequence[TransitionResult | None] = await apply_transitions(conn, [move])
        result = results[0]
        if result is None:  # pragma: no cover - inserted in this transaction
            raise RuntimeError("a new staff reply could not be approved")
        return result


def _aware(value: Any) -> datetime | None:
    """An aggregate's datetime as an aware UTC one, whatever the backend gave back."""
    return UTCDateTime().process_result_value(value, _NO_DIALECT)


_NO_DIALECT: Any = None
