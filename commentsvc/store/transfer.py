"""Bulk writes for `commentsvc import` (the reads of `commentsvc export` are in
transfer_export, the batch itself in transfer_batch, SQLite's writer in transfer_sqlite).

Imports write batches of thousands of comments per transaction; a comment that is there
already (same id: imports derive ids from the source's ids) is left alone, so an import run
twice, or run again after being killed, ends with the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateIndex, DropIndex

from commentsvc.models import Kind, Status
from commentsvc.store.engine import Database
from commentsvc.store.tables import bans, comments, sites, subscriptions, threads
from commentsvc.store.transfer_batch import Batch, BatchResult, ThreadSpec, plan
from commentsvc.store.transfer_export import TransferExport
from commentsvc.store.transfer_sqlite import (
    SqliteBatchWriter,
    bulk_indexes,
    create_indexes,
    drop_indexes_if_empty,
)

__all__ = ["Batch", "BatchResult", "ThreadSpec", "TransferStore"]

CHUNK = 500  # ids per IN (...) list

# While an import writes on SQLite: a page cache that holds the hot parts of the comments
# indexes (the default 2 MB makes every insert a read), and no fsync per commit. A killed
# process loses nothing committed (the WAL is in the OS's hands); `finish_import` goes back
# to the service's settings and checkpoints with fsync, so the import is durable when done.
SQLITE_IMPORT_PRAGMAS = (
    "PRAGMA cache_size=-65536",
    "PRAGMA synchronous=OFF",
)
SQLITE_SERVICE_PRAGMAS = (
    "PRAGMA cache_size=-2000",
    "PRAGMA synchronous=NORMAL",
)


class TransferStore(TransferExport):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.thread_ids: dict[tuple[str, str], int] = {}

    def _insert_ignore(self, table: sa.Table) -> Any:
        if self.db.is_sqlite:
            return sqlite.insert(table).on_conflict_do_nothing()
        return postgresql.insert(table).on_conflict_do_nothing()

    async def write_batch(self, batch: Batch, now: Any) -> BatchResult:
        """Threads, new comments with their events, votes and flags, then fresh counts."""
        if self.db.is_sqlite:
            return await self._write_sqlite(batch, now)
        async with self.db.write() as conn:
            await self._ensure_threads(conn, batch.site_id, batch.threads, now)
            # Every comment goes in (parents first), those there already skipped; RETURNING
            # says which were new. (A SELECT of the ids first got a plan made while the
            # table was empty, a scan of the whole table per 500 ids ever after.)
            rows = sorted(batch.comments, key=lambda r: (r.get("depth") or 0, r["id"]))
            inserted: set[str] = set()
            if rows:
                result = await self._insert(conn, comments, rows, batch.site_id, returning=True)
                inserted = set(result.scalars()) if result is not None else set()
            present = {r["id"] for r in batch.comments} - inserted
            todo = plan(batch, present, self.thread_ids)
            for table, rows_ in todo.extras:
                await self._insert(conn, table, rows_)
            if todo.subscriptions:
                await conn.execute(self._insert_ignore(subscriptions), todo.subscriptions)
            if todo.touched:
                await self._recount(conn, todo.touched)
        return todo.result()

    async def _write_sqlite(self, batch: Batch, now: Any) -> BatchResult:
        """The whole transaction in one hop to the driver's thread (see transfer_sqlite)."""
        thread_ids = self.thread_ids

        def write(conn: Any) -> BatchResult:
            return SqliteBatchWriter(conn, thread_ids).write(batch, now)

        result: BatchResult = await self._in_driver(write)
        return result

    async def _insert(
        self,
        conn: AsyncConnection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        site_id: str | None = None,
        *,
        returning: bool = False,
    ) -> Any:
        """PostgreSQL: insert rows, skipping any that are there already. With `site_id`,
        each row's thread_id is that of its `_thread` (a thread key of the site); with
        `returning`, the result gives the primary keys of the rows inserted."""
        statement = self._insert_ignore(table)
        if returning:
            statement = statement.returning(*table.primary_key.columns)
        names = [c.name for c in table.columns if c.name in rows[0]]
        if site_id is None:
            return await conn.execute(statement, [{n: row[n] for n in names} for row in rows])
        names = [n for n in names if n != "thread_id"]
        thread_ids = self.thread_ids
        return await conn.execute(
            statement,
            [
                {**{n: row[n] for n in names}, "thread_id": thread_ids[(site_id, row["_thread"])]}
                for row in rows
            ],
        )

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

    async def start_import(self) -> None:
        """Into an empty database, the secondary indexes are left to be built at the end (see
        transfer_sqlite.bulk_indexes); SQLite: the import's settings on the (pooled)
        connection its writes will use."""
        await self._pragmas(SQLITE_IMPORT_PRAGMAS)
        if self.db.is_sqlite:
            await self._in_driver(drop_indexes_if_empty)
            return
        async with self.db.write() as conn:
            if await conn.scalar(sa.select(comments.c.id).limit(1)) is None:
                for index in bulk_indexes():
                    await conn.execute(DropIndex(index, if_exists=True))

    async def finish_import(self) -> None:
        """Any missing index built (also those an import killed before its end left out);
        SQLite: back to the service's settings, the import's pages checkpointed (synced)."""
        if self.db.is_sqlite:
            await self._in_driver(create_indexes)
        else:
            async with self.db.write() as conn:
                for index in bulk_indexes():
                    await conn.execute(CreateIndex(index, if_not_exists=True))
        await self._pragmas((*SQLITE_SERVICE_PRAGMAS, "PRAGMA wal_checkpoint(TRUNCATE)"))

    async def _in_driver(self, fn: Any) -> Any:
        """fn(sqlite3 connection) in one write transaction, in the driver's thread."""
        async with self.db.write() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            return await driver._execute(fn, driver._conn)

    async def _pragmas(self, pragmas: Sequence[str]) -> None:
        if not self.db.is_sqlite:
            return
        # Outside any transaction (SQLite refuses to change synchronous inside one).
        async with self.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            for pragma in pragmas:
                await driver.execute(pragma)

    async def _recount(self, conn: AsyncConnection, thread_ids: list[int]) -> None:
        """Approved counts from the rows themselves (so a rerun can never count twice): one
        UPDATE ... FROM an aggregate of the touched threads' comments."""
        approved = comments.c.status == Status.APPROVED.value
        for i in range(0, len(thread_ids), CHUNK):
            agg = (
                sa.select(
                    comments.c.thread_id,
                    sa.func.count().filter(approved).label("n"),
                    sa.func.count()
                    .filter(sa.and_(approved, comments.c.kind == Kind.FEEDBACK.value))
                    .label("f"),
                )
                .where(comments.c.thread_id.in_(thread_ids[i : i + CHUNK]))
                .group_by(comments.c.thread_id)
                .subquery()
            )
            await conn.execute(
                threads.update()
                .where(threads.c.id == agg.c.thread_id)
                .values(count=agg.c.n, feedback_count=agg.c.f, version=threads.c.version + 1)
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
