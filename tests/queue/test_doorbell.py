"""Doorbells while Redis is down: held (up to a cap) and rung as soon as it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from commentsvc.queue.doorbell import Doorbell
from commentsvc.queue.streams import JobQueue
from commentsvc.runtime import redis_client, redis_guard
from tests.queue.helpers import wait_until
from tests.servers import RedisProcess


async def test_rings_held_while_down_are_rung_once_it_is_back(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    guard, probe = redis_guard(server.url)
    client = redis_client(server.url, guard)
    queue = JobQueue(client, "test:bell", "g", "c1", guard=guard)
    bell = Doorbell(queue, max_held=3)
    try:
        await bell.ring([{"comment_id": "a"}])
        server.stop()
        await bell.ring([{"comment_id": "b"}])  # finds the outage
        await bell.ring([{"comment_id": "c"}, {"comment_id": "d"}])
        await bell.ring([{"comment_id": "e"}])  # beyond the cap: the sweeper's
        assert guard.down
        assert (bell.held, bell.dropped) == (3, 1)

        server.start()

        async def rung() -> bool:
            return bell.held == 0 and not guard.down

        await wait_until(rung, timeout_s=10)
        entries = await client.xrange("test:bell")
        assert [fields["comment_id"] for _, fields in entries] == ["a", "b", "c", "d"]
    finally:
        await guard.close()
        await client.aclose()
        await probe.aclose()
        server.stop()


async def test_without_a_guard_a_failed_ring_is_left_to_the_sweeper(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    client = redis_client(server.url)
    bell = Doorbell(JobQueue(client, "test:bell", "g", "c1"))
    try:
        server.stop()
        async with asyncio.timeout(10):
            await bell.ring([{"comment_id": "a"}])
        assert bell.held == 0
    finally:
        await client.aclose()
        server.stop()
