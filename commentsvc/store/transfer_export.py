"""Streaming reads for `commentsvc export`: sites, bans, threads, comments in chunks (parents
before replies) and what belongs to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa

from commentsvc.store.engine import Database
from commentsvc.store.tables import (
    bans,
    comments,
    events,
    flags,
    sites,
    subscriptions,
    threads,
    votes,
)

CHUNK = 500  # rows per read


class TransferExport:
    """The export's reads (a part of TransferStore)."""

    db: Database

    async def export_sites(self, site_id: str | None) -> list[dict[str, Any]]:
        query = sa.select(sites).order_by(sites.c.id)
        if site_id is not None:
            query = query.where(sites.c.id == site_id)
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def export_bans(self, site_id: str) -> list[dict[str, Any]]:
        query = sa.select(bans).where(bans.c.site_id == site_id).order_by(bans.c.id)
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def export_threads(self, site_id: str, key: str | None) -> AsyncIterator[dict[str, Any]]:
        last = 0
        while True:
            query = (
                sa.select(threads)
                .where(threads.c.site_id == site_id, threads.c.id > last)
                .order_by(threads.c.id)
                .limit(CHUNK)
            )
            if key is not None:
                query = query.where(threads.c.key == key)
            async with self.db.read() as conn:
                rows = [dict(r) for r in (await conn.execute(query)).mappings()]
            if not rows:
                return
            for row in rows:
                yield row
            last = rows[-1]["id"]

    async def export_comments(self, thread_id: int) -> AsyncIterator[list[dict[str, Any]]]:
        """A thread's comments in chunks, parents before replies (depth, then id)."""
        last: tuple[int, str] = (-1, "")
        while True:
            query = (
                sa.select(comments)
                .where(
                    comments.c.thread_id == thread_id,
                    sa.or_(
                        comments.c.depth > last[0],
                        sa.and_(comments.c.depth == last[0], comments.c.id > last[1]),
                    ),
                )
                .order_by(comments.c.depth, comments.c.id)
                .limit(CHUNK)
            )
            async with self.db.read() as conn:
                rows = [dict(r) for r in (await conn.execute(query)).mappings()]
            if not rows:
                return
            yield rows
            last = (rows[-1]["depth"], rows[-1]["id"])

    async def export_children(
        self, comment_ids: Sequence[str]
    ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Events, votes and flags of these comments, by comment id then kind."""
        out: dict[str, dict[str, list[dict[str, Any]]]] = {
            c: {"event": [], "vote": [], "flag": []} for c in comment_ids
        }
        ids = list(comment_ids)
        async with self.db.read() as conn:
            for kind, table, order in (
                ("event", events, events.c.id),
                ("vote", votes, votes.c.voter),
                ("flag", flags, flags.c.reporter),
            ):
                query = (
                    sa.select(table)
                    .where(table.c.comment_id.in_(ids))
                    .order_by(table.c.comment_id, order)
                )
                for r in (await conn.execute(query)).mappings():
                    out[r["comment_id"]][kind].append(dict(r))
        return out

    async def export_subscriptions(self, thread_id: int) -> list[dict[str, Any]]:
        query = (
            sa.select(subscriptions)
            .where(subscriptions.c.thread_id == thread_id)
            .order_by(subscriptions.c.id)
        )
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]
