"""The Redis guard: while Redis is down calls fail at once, a probe finds it back, logged twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from commentsvc.queue.redisguard import Outage, RedisDown, RedisGuard
from commentsvc.runtime import redis_client, redis_guard
from tests.servers import RedisProcess


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    """A redis-server this test may stop (never the shared one)."""
    server = RedisProcess(tmp_path / "redis", appendonly=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def guarded(
    own_redis: RedisProcess,
) -> AsyncIterator[tuple[RedisGuard, aioredis.Redis]]:
    guard, probe = redis_guard(own_redis.url)
    client = redis_client(own_redis.url, guard)
    try:
        yield guard, client
    finally:
        await guard.close()
        await client.aclose()
        await probe.aclose()


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def test_calls_fail_at_once_while_down_and_work_again_after(
    own_redis: RedisProcess,
    guarded: tuple[RedisGuard, aioredis.Redis],
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard, client = guarded
    caplog.set_level(logging.INFO, logger="commentsvc.queue.redisguard")
    outages: list[Outage] = []

    async def remember(outage: Outage) -> None:
        outages.append(outage)

    guard.on_recovery(remember)
    assert await client.set("k", "v")
    own_redis.stop()

    with pytest.raises(RedisConnectionError):
        await client.get("k")  # this one finds out
    assert guard.down
    for _ in range(20):
        with pytest.raises(RedisDown):
            await client.get("k")
    assert guard.failed_fast == 20, "each call was refused without trying Redis"
    async with asyncio.timeout(10):
        while guard.probes < 3:  # the probe keeps asking, in the background
            await asyncio.sleep(0.01)
    assert guard.down

    own_redis.start()
    async with asyncio.timeout(10):
        await guard.wait_up()
    assert await client.set("k", "again")
    async with asyncio.timeout(10):
        while not outages:
            await asyncio.sleep(0.01)

    assert guard.outages == 1
    assert outages[0].failed_fast == 20
    assert len(lines(caplog, "unreachable")) == 1
    assert len(lines(caplog, "reachable again")) == 1
    assert "outage of" in lines(caplog, "reachable again")[0]


async def test_pipelines_and_scripts_fail_fast_too(
    own_redis: RedisProcess, guarded: tuple[RedisGuard, aioredis.Redis]
) -> None:
    guard, client = guarded
    script = client.register_script("return 1")
    assert await script() == 1
    own_redis.stop()
    with pytest.raises(RedisConnectionError):
        await client.ping()
    before = guard.failed_fast

    pipe = client.pipeline(transaction=False)
    pipe.incr("n")
    with pytest.raises(RedisDown):
        await pipe.execute()
    await pipe.reset()
    with pytest.raises(RedisDown):
        await script()

    assert guard.failed_fast == before + 2


async def test_wait_up_returns_when_stopped(
    own_redis: RedisProcess, guarded: tuple[RedisGuard, aioredis.Redis]
) -> None:
    guard, client = guarded
    own_redis.stop()
    with pytest.raises(RedisConnectionError):
        await client.ping()
    stop = asyncio.Event()
    waiting = asyncio.create_task(guard.wait_up(stop))
    await asyncio.sleep(0)
    stop.set()
    async with asyncio.timeout(5):
        await waiting
    assert guard.down
