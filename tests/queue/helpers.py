"""Small waits on observable queue state, so tests need no fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis


@dataclass(frozen=True)
class QueueServer:
    """A Redis for one test: its URL (for subprocesses) and a client."""

    name: str
    url: str
    client: aioredis.Redis


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, poll_s: float = 0.02
) -> None:
    """Poll `condition` until it holds; fail the test after `timeout_s`."""
    async with asyncio.timeout(timeout_s):
        while not await condition():
            await asyncio.sleep(poll_s)


async def wait_idle(
    redis: aioredis.Redis, stream: str, group: str, idle_ms: int, count: int
) -> None:
    """Wait until `count` pending entries have been idle for at least `idle_ms`."""

    async def idle_enough() -> bool:
        rows = await redis.xpending_range(stream, group, "-", "+", count, idle=idle_ms)
        return len(rows) >= count

    await wait_until(idle_enough)
