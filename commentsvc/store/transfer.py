"""Bulk writes and streaming reads for `commentsvc import` and `commentsvc export`.

Imports write batches of a few thousand comments per transaction; a comment that is there
already (same id: imports derive ids from the source's ids) is left alone, so an import run
twice, or run again after being killed, ends with the same rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.models import Kind, Status
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

CHUNK = 500  # ids per IN (...) list


def _sqlite_datetime(value: datetime | None) -> str | None:
    """As UTCDateTime stores it on SQLite: naive UTC, microseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_json(value: Any) -> str:
    return orjson.dumps(value).decode()  # None is stored as JSON null, as sa.JSON does


def _sqlite_bool(value: Any) -> int:
    return 1 if value else 0


_SQLITE_CONVERT: dict[str, Callable[[Any], Any]] = {
    "UTCDateTime": _sqlite_datetime,
    "JSON": _sqlite_json,
    "Boolean": _sqlite_bool,
}


@dataclass(slots=True)
class ThreadSpec:
    key: str
    url: str = ""
    title: str = ""
    closed: bool = False
    created_at: Any = None


@dataclass(slots=True)
class Batch:
    """One transaction's worth of an import. Rows carry `_thread` (a key) for thread_id."""

    site_id: str
    threads: list[ThreadSpec]
    comments: list[dict[str, Any]]
    # Rows that belong to a comment (events, votes, flags): written only with a new comment.
    extras: dict[str, list[tuple[sa.Table, dict[str, Any]]]]
    subscriptions: list[dict[str, Any]]


@dataclass(slots=True)
class BatchResult:
    inserted: int
    present: int
    inserted_ids: set[str]


class TransferStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.thread_ids: dict[tuple[str, str], int] = {}

    def _insert_ignore(self, table: sa.Table) -> Any:
        if self.db.is_sqlite:
            return sqlite.insert(table).on_conflict_do_nothing()
        return postgresql.insert(table).on_conflict_do_nothing()

    async def _insert(
        self, conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]
    ) -> None:
        """Insert rows, skipping any that are there already. On SQLite straight through the
        driver (one executemany, values converted the way the column types store them): the
        bulk of an import's time is here."""
        if not self.db.is_sqlite:
            await conn.execute(self._insert_ignore(table), rows)
            return
        names = [c.name for c in table.columns if c.name in rows[0]]
        convert = [_SQLITE_CONVERT.get(type(table.c[n].type).__name__) for n in names]
        # Names are our own table's columns; every value is a parameter.
        columns, marks = ", ".join(names), ", ".join("?" * len(names))
        sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
        params = [
            tuple(row[n] if f is None else f(row[n]) for n, f in zip(names, convert, strict=True))
            for row in rows
        ]
        await conn.exec_driver_sql(sql, params)

    async def _ensure_threads(
        self, conn: AsyncConnection, site_id: str, specs: Sequence[ThreadSpec], now: Any
    ) -> None:
        missing = {s.key: s for s in specs if (site_id, s.key) not in self.thread_ids}
        if not missing:
            return
        await conn.execute(
            self._insert_ignore(threads),
            [
                {
                    "site_id": site_id,
                    "key": s.key,
                    "url": s.url,
                    "title": s.title,
                    "closed": s.closed,
                    "created_at": s.created_at or now,
                }
                for s in missing.values()
            ],
        )
        keys = list(missing)
        for i in range(0, len(keys), CHUNK):
            rows = await conn.execute(
                sa.select(threads.c.key, threads.c.id).where(
                    threads.c.site_id == site_id, threads.c.key.in_(keys[i : i + CHUNK])
                )
            )
            for key, thread_id in rows:
                self.thread_ids[(site_id, key)] = int(thread_id)

    async def write_batch(self, batch: Batch, now: Any) -> BatchResult:
        """Threads, new comments with their events, votes and flags, then fresh counts."""
        async with self.db.write() as conn:
            await self._ensure_threads(conn, batch.site_id, batch.threads, now)
            ids = [r["id"] for r in batch.comments]
            present: set[str] = set()
            for i in range(0, len(ids), CHUNK):
                rows = await conn.execute(
                    sa.select(comments.c.id).where(comments.c.id.in_(ids[i : i + CHUNK]))
                )
                present.update(r[0] for r in rows)
            new_rows = []
            touched: set[int] = set()
            for row in batch.comments:
                thread_id = self.thread_ids[(batch.site_id, row["_thread"])]
                touched.add(thread_id)
                if row["id"] in present:
                    continue
                out = {k: v for k, v in row.items() if k != "_thread"}
                out["thread_id"] = thread_id
                new_rows.append(out)
            if new_rows:
                await self._insert(conn, comments, new_rows)
            inserted = {r["id"] for r in new_rows}
            by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
            for comment_id in inserted:
                for table, values in batch.extras.get(comment_id, ()):
                    by_table.setdefault(table.name, (table, []))[1].append(values)
            for table, rows_ in by_table.values():
                await self._insert(conn, table, rows_)
            subs = []
            for sub in batch.subscriptions:
                sub_thread = self.thread_ids.get((batch.site_id, sub["_thread"]))
                if sub_thread is not None:
                    subs.append(
                        {
                            **{k: v for k, v in sub.items() if k != "_thread"},
                            "thread_id": sub_thread,
                            "site_id": batch.site_id,
                        }
                    )
            if subs:
                await conn.execute(self._insert_ignore(subscriptions), subs)
            if touched:
                await self._recount(conn, sorted(touched))
        return BatchResult(len(new_rows), len(present), inserted)

    async def _recount(self, conn: AsyncConnection, thread_ids: list[int]) -> None:
        """Approved counts from the rows themselves (so a rerun can never count twice)."""
        approved = sa.and_(
            comments.c.thread_id == threads.c.id, comments.c.status == Status.APPROVED.value
        )
        count = sa.select(sa.func.count()).where(approved).scalar_subquery()
        feedback = (
            sa.select(sa.func.count())
            .where(approved, comments.c.kind == Kind.FEEDBACK.value)
            .scalar_subquery()
        )
        for i in range(0, len(thread_ids), CHUNK):
            await conn.execute(
                threads.update()
                .where(threads.c.id.in_(thread_ids[i : i + CHUNK]))
                .values(count=count, feedback_count=feedback, version=threads.c.version + 1)
            )

    # ----- sites and bans (our own format) -------------------------------------------

    async def ensure_site(self, row: dict[str, Any]) -> bool:
        """Add the site if it is missing; True when added."""
        async with self.db.write() as conn:
            found = await conn.scalar(sa.select(sites.c.id).where(sites.c.id == row["id"]))
            if found is not None:
                return False
            await conn.execute(sites.insert().values(**row))
            return True

    async def site_exists(self, site_id: str) -> bool:
        async with self.db.read() as conn:
            return (
                await conn.scalar(sa.select(sites.c.id).where(sites.c.id == site_id))
            ) is not None

    async def add_ban(self, row: dict[str, Any]) -> bool:
        """The ban unless the same one (site, kind, value, created_at) is there already."""
        async with self.db.write() as conn:
            found = await conn.scalar(
                sa.select(bans.c.id).where(
                    bans.c.site_id == row["site_id"],
                    bans.c.kind == row["kind"],
                    bans.c.value == row["value"],
                    bans.c.created_at == row["created_at"],
                )
            )
            if found is not None:
                return False
            await conn.execute(bans.insert().values(**row))
            return True

    # ----- export reads -------------------------------------------------------------

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
