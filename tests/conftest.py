"""Shared fixtures: real Redis, real SQLite and PostgreSQL.

Redis: the server on 127.0.0.1:6379 when it answers (database 9, flushed per
test), else a private redis-server started for the session.
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

from tests.servers import RedisProcess, port_open

TEST_REDIS_DB = 9


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    explicit = os.environ.get("COMMENTSVC_TEST_REDIS_URL")
    if explicit:
        yield explicit
        return
    if port_open("127.0.0.1", 6379):
        yield f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"
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
