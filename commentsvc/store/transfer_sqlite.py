"""An import batch written to SQLite in one go: every statement of the transaction runs in the
driver's own thread in one hop, straight on the sqlite3 connection (no SQLAlchemy statement
per row or per batch, no round trip to the event loop between statements).

Rows go in as multi-row `INSERT ... VALUES (...), (...)`: the sqlite3 module binds a few
hundred rows' values in C and SQLite then inserts them in one step with Python's lock let
go, so the thread that parses the file keeps running meanwhile (an executemany would take
the lock back for every row). Values are as the column types store them on SQLite: dates as
naive UTC text with microseconds, JSON columns as JSON text, booleans as 0 and 1.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex

from commentsvc.models import Kind, Status
from commentsvc.store.tables import UTCDateTime, comments, events, subscriptions
from commentsvc.store.transfer_batch import Batch, BatchResult, plan

CHUNK = 500  # ids per IN (...) list
VALUES_ROWS = 500  # rows per INSERT ... VALUES statement (fewer when the columns are many)

Convert = Callable[[Any], Any]

# Indexes an import into an empty database builds once at the end (sorting each in one pass)
# instead of row by row: all of comments' and events' but the one the counts are taken by.
_KEPT = {("thread_id", "parent_id", "status")}


def bulk_indexes() -> list[sa.Index]:
    """The indexes an import into an empty database drops first and builds at its end."""
    return [
        index
        for table in (comments, events)
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if not index.unique and tuple(c.name for c in index.columns) not in _KEPT
    ]


def drop_indexes_if_empty(conn: sqlite3.Connection) -> bool:
    """Drop the bulk indexes when no comment exists yet (True if dropped). An import killed
    before it ends leaves them dropped: `create_indexes` (run again, it runs) builds them."""
    if conn.execute("SELECT 1 FROM comments LIMIT 1").fetchone() is not None:
        return False
    for index in bulk_indexes():
        conn.execute(f"DROP INDEX IF EXISTS {index.name}")
    return True


def create_indexes(conn: sqlite3.Connection) -> None:
    """Every bulk index that is missing, as the schema defines it."""
    dialect = sqlite.dialect()
    for index in bulk_indexes():
        conn.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))


_APPROVED = f"status = '{Status.APPROVED.value}'"
# Made of constants; the thread ids are parameters.
RECOUNT = (
    "UPDATE threads SET count = agg.n, feedback_count = agg.f, version = version + 1 "  # noqa: S608
    f"FROM (SELECT thread_id, count(*) FILTER (WHERE {_APPROVED}) AS n, "
    f"count(*) FILTER (WHERE {_APPROVED} AND kind = '{Kind.FEEDBACK.value}') AS f "
    f"FROM {comments.name} WHERE thread_id IN ({{ids}}) GROUP BY thread_id) AS agg "
    "WHERE threads.id = agg.thread_id"
)


def sqlite_datetime(value: datetime | None) -> str | None:
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


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()  # None is 'null', as sa.JSON stores it


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, datetime):
        return sqlite_datetime(value)
    return value


class SqliteBatchWriter:
    """Runs in the sqlite3 connection's thread, inside the transaction the caller began."""

    def __init__(self, conn: sqlite3.Connection, thread_ids: dict[tuple[str, str], int]) -> None:
        self.conn = conn
        self.thread_ids = thread_ids
        self._dates: dict[datetime, str | None] = {}  # the same dates over and over
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._max_params = min(limit, 32_766)

    # ----- values --------------------------------------------------------------------

    def _date(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        found = self._dates.get(value)
        if found is None:
            if len(self._dates) >= 100_000:
                self._dates.clear()
            found = self._dates[value] = sqlite_datetime(value)
        return found

    def _converter(self, column: sa.Column[Any]) -> Convert:
        if isinstance(column.type, UTCDateTime | sa.DateTime):
            return self._date
        if isinstance(column.type, sa.JSON):
            return _json
        return _plain

    def insert(
        self, table: sa.Table, rows: Sequence[dict[str, Any]], site_id: str | None = None
    ) -> None:
        """Insert rows, skipping any that are there already. With `site_id`, each row's
        thread_id is that of its `_thread` (a thread key of the site)."""
        if not rows:
            return
        first = rows[0]
        names: list[str] = []
        converters: list[Convert] = []
        for column in table.columns:
            if site_id is not None and column.name == "thread_id":
                continue
            if column.name in first:
                names.append(column.name)
                converters.append(self._converter(column))
        get = operator.itemgetter(*names)
        width = len(names) + (site_id is not None)
        thread_ids = self.thread_ids
        fixed = [(i, f) for i, f in enumerate(converters) if f is not _plain]
        loose = [i for i, f in enumerate(converters) if f is _plain]

        def values(row: dict[str, Any]) -> list[Any]:
            out = list(get(row)) if len(names) > 1 else [get(row)]
            for i, convert in fixed:
                out[i] = convert(out[i])
            for i in loose:
                value = out[i]
                if value.__class__ not in (str, int, float) and value is not None:
                    out[i] = _plain(value)
            if site_id is not None:
                out.append(thread_ids[(site_id, row["_thread"])])
            return out

        all_names = [*names, "thread_id"] if site_id is not None else names
        per = max(1, min(VALUES_ROWS, self._max_params // width))
        one = "(" + ", ".join("?" * width) + ")"
        head = f"INSERT INTO {table.name} ({', '.join(all_names)}) VALUES "  # noqa: S608
        chain = itertools.chain.from_iterable
        for i in range(0, len(rows), per):
            part = rows[i : i + per]
            # Names are our own table's columns; every value is a parameter.
            sql = head + ", ".join([one] * len(part)) + " ON CONFLICT DO NOTHING"
            self.conn.execute(sql, list(chain(map(values, part))))

    # ----- the batch ---------------------------------------------------------------

    def write(self, batch: Batch, now: datetime) -> BatchResult:
        """Threads, new comments with their events, votes and flags, then fresh counts."""
        self.ensure_threads(batch.site_id, batch.threads, now)
        todo = plan(batch, self.present([r["id"] for r in batch.comments]), self.thread_ids)
        self.insert(comments, todo.comments, batch.site_id)
        for table, rows in todo.extras:
            self.insert(table, rows)
        self.insert(subscriptions, todo.subscriptions)
        self.recount(todo.touched)
        return todo.result()

    def ensure_threads(self, site_id: str, specs: Sequence[Any], now: datetime) -> None:
        missing = {s.key: s for s in specs if (site_id, s.key) not in self.thread_ids}
        if not missing:
            return
        date = self._date(now)
        self.conn.executemany(
            "INSERT INTO threads (site_id, key, url, title, closed, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (
                    site_id,
                    s.key,
                    s.url,
                    s.title,
                    int(bool(s.closed)),
                    self._date(s.created_at) if s.created_at else date,
                )
                for s in missing.values()
            ],
        )
        keys = list(missing)
        for i in range(0, len(keys), CHUNK):
            part = keys[i : i + CHUNK]
            found = self.conn.execute(
                "SELECT key, id FROM threads WHERE site_id = ? AND key IN "  # noqa: S608
                f"({', '.join('?' * len(part))})",
                [site_id, *part],
            )
            for key, thread_id in found:
                self.thread_ids[(site_id, key)] = int(thread_id)

    def present(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            rows = self.conn.execute(
                f"SELECT id FROM comments WHERE id IN ({', '.join('?' * len(part))})",  # noqa: S608
                part,
            )
            found.update(r[0] for r in rows)
        return found

    def recount(self, thread_ids: list[int]) -> None:
        """Approved counts from the rows themselves (so a rerun can never count twice): one
        UPDATE ... FROM an aggregate of the touched threads' comments."""
        for i in range(0, len(thread_ids), CHUNK):
            part = thread_ids[i : i + CHUNK]
            self.conn.execute(RECOUNT.format(ids=", ".join("?" * len(part))), part)
