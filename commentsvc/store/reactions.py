"""Votes and flags: one per voter or reporter per comment."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.clock import now_utc
from commentsvc.store.engine import Database
from commentsvc.store.tables import comments, flags, threads, votes


class TooManyVoters(Exception):
    """This address already voted on the comment under as many voter ids as it may."""


class ReactionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: sa.Table) -> sa.Insert:
        return (sqlite_insert if self.db.is_sqlite else pg_insert)(table)

    async def set_vote(
        self,
        comment_id: str,
        thread_id: int,
        voter: str,
        value: int,
        *,
        ip_hash: str = "",
        max_voters_per_address: int = 0,
    ) -> tuple[int, int]:
        """Record (or with 0, withdraw) one voter's vote; return the comment's (up, down).

        With `max_voters_per_address`, a new voter from an address that already voted on
        the comment under that many ids raises TooManyVoters (changing a vote never does).
        """
        async with self.db.write() as conn:
            if value == 0:
                await conn.execute(
                    votes.delete().where(votes.c.comment_id == comment_id, votes.c.voter == voter)
                )
            else:
                if ip_hash and max_voters_per_address:
                    await _check_address(conn, comment_id, voter, ip_hash, max_voters_per_address)
                stmt = self._insert(votes).values(
                    comment_id=comment_id,
                    voter=voter,
                    value=value,
                    created_at=now_utc(),
                    ip_hash=ip_hash,
                )
                stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                    index_elements=[votes.c.comment_id, votes.c.voter],
                    set_={"value": value},
                )
                await conn.execute(stmt)
            return await _recount(conn, comment_id, thread_id)

    async def add_flag(
        self, comment_id: str, reporter: str, reason: str, note: str
    ) -> tuple[bool, int]:
        """Record a reporter's flag once; return (new, distinct flags on the comment)."""
        async with self.db.write() as conn:
            stmt = self._insert(flags).values(
                comment_id=comment_id,
                reporter=reporter,
                reason=reason,
                note=note,
                created_at=now_utc(),
            )
            stmt = stmt.on_conflict_do_nothing(  # type: ignore[attr-defined]
                index_elements=[flags.c.comment_id, flags.c.reporter]
            )
            inserted = (await conn.execute(stmt)).rowcount == 1
            count = int(
                await conn.scalar(
                    sa.select(sa.func.count()).where(flags.c.comment_id == comment_id)
                )
                or 0
            )
            await conn.execute(
                comments.update().where(comments.c.id == comment_id).values(flag_count=count)
            )
        return inserted, count


async def _check_address(
    conn: AsyncConnection, comment_id: str, voter: str, ip_hash: str, most: int
) -> None:
    on_comment = votes.c.comment_id == comment_id
    rows = await conn.execute(
        sa.select(votes.c.voter).where(on_comment, votes.c.ip_hash == ip_hash).limit(most + 1)
    )
    voters = set(rows.scalars())
    if voter not in voters and len(voters) >= most:
        raise TooManyVoters(f"{len(voters)} voters from this address already voted")


async def _recount(conn: AsyncConnection, comment_id: str, thread_id: int) -> tuple[int, int]:
    up_expr = sa.func.coalesce(sa.func.sum(sa.case((votes.c.value > 0, 1), else_=0)), 0)
    down_expr = sa.func.coalesce(sa.func.sum(sa.case((votes.c.value < 0, 1), else_=0)), 0)
    row = (
        await conn.execute(sa.select(up_expr, down_expr).where(votes.c.comment_id == comment_id))
    ).one()
    up, down = int(row[0]), int(row[1])
    await conn.execute(
        comments.update()
        .where(comments.c.id == comment_id)
        .values(votes_up=up, votes_down=down, score=up - down)
    )
    await conn.execute(
        threads.update().where(threads.c.id == thread_id).values(version=threads.c.version + 1)
    )
    return up, down
