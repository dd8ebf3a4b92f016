"""Bulk writes and streaming reads for `commentsvc import` and `commentsvc export`.

Imports write batches of a few thousand comments per transaction; a comment that is there
already (same id: imports derive ids from the source's ids) is left alone, so an import run
twice, or run again after being killed, ends with the same rows.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator, Sequence
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
SQLITE_JSON_ROWS = 1000  # rows per INSERT ... FROM json_each (SQLite parses it whole)


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


def _sqlite_datetime(value: datetime | None) -> str | None:
    """As UTCDateTime stores it on SQLite: naive UTC, microseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


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
        self,
        conn: AsyncConnection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        site_id: str | None = None,
    ) -> None:
        """Insert rows, skipping any that are there already. With `site_id`, each row's
        thread_id is that of its `_thread` (a thread key of the site).

        On SQLite the whole list goes as one JSON parameter that SQLite itself spreads into
        rows: one statement per thousand rows, with Python's lock let go meanwhile (an
        executemany takes it back for every row, and waits for it behind the thread that
        parses the file). Values are as the column types store them: dates as naive UTC
        text with microseconds, JSON columns as JSON text, booleans as 0 and 1."""
        names = [c.name for c in table.columns if c.name in rows[0]]
        if not self.db.is_sqlite:
            if site_id is None:
                await conn.execute(
                    self._insert_ignore(table), [{n: row[n] for n in names} for row in rows]
                )
                return
            names = [n for n in names if n != "thread_id"]
            thread_ids = self.thread_ids
            await conn.execute(
                self._insert_ignore(table),
                [
                    {
                        **{n: row[n] for n in names},
                        "thread_id": thread_ids[(site_id, row["_thread"])],
                    }
                    for row in rows
                ],
            )
            return
        names = []
        keys: list[str] = []
        picks: list[str] = []
        for column in table.columns:
            name = column.name
            if site_id is not None and name == "thread_id":
                continue
            if name in rows[0]:
                # -> is the value as JSON text ('null' for None, as sa.JSON stores it).
                arrow = "->" if isinstance(column.type, sa.JSON) else "->>"
                picks.append(f"value {arrow} {len(keys)}")
                names.append(name)
                keys.append(name)
        if site_id is not None:
            picks.append(
                f"(SELECT id FROM threads WHERE site_id = ?2 AND key = value ->> {len(keys)})"  # noqa: S608
            )
            names.append("thread_id")
            keys.append("_thread")
        get = operator.itemgetter(*keys)
        memo: dict[datetime, str | None] = {}  # the same dates over and over (import time)

        def encode(value: Any) -> Any:
            if isinstance(value, datetime):
                found = memo.get(value)
                if found is None:
                    found = memo[value] = _sqlite_datetime(value)
                return found
            raise TypeError(f"cannot store {type(value).__name__} in {table.name}")

        # Names are our own table's columns; every value is in the parameters.
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(picks)} "  # noqa: S608
            "FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING"
        )
        for i in range(0, len(rows), SQLITE_JSON_ROWS):
            # Rows as arrays (a position is found faster than a name), made in C.
            data = orjson.dumps(
                [get(row) for row in rows[i : i + SQLITE_JSON_ROWS]],
                default=encode,
                option=orjson.OPT_PASSTHROUGH_DATETIME,
            ).decode()
            await conn.exec_driver_sql(sql, (data, site_id) if site_id is not None else (data,))

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
            thread_ids = self.thread_ids
            site_id = batch.site_id
            new_rows = []
            touched: set[int] = set()
            for row in batch.comments:
                touched.add(thread_ids[(site_id, row["_thread"])])
                if row["id"] not in present:
                    new_rows.append(row)
            if new_rows:
                # Parents first (the foreign key is checked per row), then in id order: the
                # primary key's b-tree is filled from one side.
                new_rows.sort(key=lambda r: (r.get("depth") or 0, r["id"]))
                await self._insert(conn, comments, new_rows, site_id)
            inserted = {r["id"] for r in new_rows}
            by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
            for row in new_rows:
                for table, values in batch.extras.get(row["id"], ()):
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

    async def start_import(self) -> None:
        """SQLite: the import's settings on the (pooled) connection its writes will use."""
        await self._pragmas(SQLITE_IMPORT_PRAGMAS)

    async def finish_import(self) -> None:
        """Back to the service's SQLite settings, the import's pages checkpointed (synced)."""
        await self._pragmas((*SQLITE_SERVICE_PRAGMAS, "PRAGMA wal_checkpoint(TRUNCATE)"))

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
