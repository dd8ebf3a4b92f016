"""The async engine: SQLite in WAL mode with serialized writers, or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from commentsvc.store.writer_gate import WriterGate

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """An engine plus the two ways to use it: `read()` and `write()` transactions.

    On SQLite, writers in this process queue on an asyncio lock and begin
    IMMEDIATE, so two writers never deadlock upgrading a read lock; writers in
    other processes queue on the writer gate (`writer_gate`: a lock file) before
    they meet SQLite's lock and its busy timeout. Readers never wait (WAL).
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            # No ping per checkout (a round trip per transaction): a connection the
            # server dropped fails once, SQLAlchemy invalidates the pool, the caller
            # gets a 503 and the next request reconnects. Recycle well before idle timeouts.
            kwargs["pool_recycle"] = 300
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._write_lock = asyncio.Lock()
        self._gate: WriterGate | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
            if parsed.database and parsed.database != ":memory:":
                self._gate = WriterGate(
                    Path(f"{parsed.database}-writer"), SQLITE_BUSY_TIMEOUT_MS / 1000
                )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction (rolled back at the end)."""
        async with self.engine.connect() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without error."""
        if self.is_sqlite:
            async with self._write_lock, self._gated(), self.engine.connect() as conn:
                conn = await conn.execution_options(sqlite_immediate=True)
                async with conn.begin():
                    yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _gated(self) -> AsyncIterator[None]:
        """The cross-process writer gate (`writer_gate`) around one write transaction."""
        gate = self._gate
        if gate is None:
            yield
            return
        await gate.acquire()
        try:
            yield
        finally:
            gate.release()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._gate is not None:
            self._gate.close()


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions get it wrong).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        # SQLite's own lower() folds A-Z only: "ÜBER@x" stayed "Über@x" and never matched
        # the str.lower() form addresses are compared in (a person's export and erasure,
        # email bans). Python's lower(), as PostgreSQL's does on UTF-8.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
