"""Shared fixtures: real Redis, real SQLite and PostgreSQL.

Redis: a private redis-server started for the session (flushed per test), so
parallel runs and local tools never share its data.
PostgreSQL: COMMENTSVC_TEST_POSTGRES_URL (default the local `test` database);
skipped with a reason when unreachable, unless COMMENTSVC_TEST_REQUIRE_POSTGRES=1
(set by .ci/run) turns that into a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.servers import RedisProcess


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of this test session's own (nothing else can flush it).

    COMMENTSVC_TEST_REDIS_URL points the suite at another server instead.
    """
    explicit = os.environ.get("COMMENTSVC_TEST_REDIS_URL")
    if explicit:
        yield explicit
        return
    server = RedisProcess(Path(tmp_path_factory.mktemp("redis")), appendonly=False)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


# ----- databases ---------------------------------------------------------------

PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _require(var: str) -> bool:
    return os.environ.get(var, "") not in ("", "0", "false", "no")


def _pg_admin_url() -> str:
    return os.environ.get("COMMENTSVC_TEST_POSTGRES_URL", PG_ADMIN_DEFAULT)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session, dropped at the end."""
    import asyncio
    import secrets

    import asyncpg

    admin = _pg_admin_url()
    name = f"commentsvc_t_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(admin), timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = f"PostgreSQL not reachable at {admin} ({exc}); set COMMENTSVC_TEST_POSTGRES_URL"
        if _require("COMMENTSVC_TEST_REQUIRE_POSTGRES"):
            pytest.fail(reason + " (required: COMMENTSVC_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"

    async def migrate() -> None:
        from commentsvc.store import Store

        store = Store.from_url(url)
        try:
            await store.migrate()
        finally:
            await store.close()

    asyncio.run(migrate())
    try:
        yield url
    finally:

        async def drop() -> None:
            conn = await asyncpg.connect(_asyncpg_dsn(admin), timeout=5)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(drop())


def _reset_postgres(url: str) -> None:
    """Empty every table (fast) and put site `default` back."""
    import asyncio

    import asyncpg

    from commentsvc.store.tables import metadata

    async def reset() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
        try:
            tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()
        from commentsvc.store import Store

        store = Store.from_url(url)
        try:
            await store.migrate()
        finally:
            await store.close()

    asyncio.run(reset())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once per backend; the test id names the backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/commentsvc.sqlite3"
    url: str = request.getfixturevalue("pg_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/commentsvc.sqlite3"
