"""Small waits on observable queue state, so tests need no fixed sleeps."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.models import Status
from commentsvc.store import Store
from commentsvc.store.tables import comments


@dataclass(frozen=True)
class QueueServer:
    """A Redis for one test: its URL (for subprocesses) and a client."""

    name: str
    url: str
    client: aioredis.Redis


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, poll_s: float = 0.02
) -> bool:
    """Poll `condition` until it holds (True); fail the test after `timeout_s`."""
    async with asyncio.timeout(timeout_s):
        while not await condition():
            await asyncio.sleep(poll_s)
    return True


async def wait_idle(
    redis: aioredis.Redis, stream: str, group: str, idle_ms: int, count: int
) -> None:
    """Wait until `count` pending entries have been idle for at least `idle_ms`."""

    async def idle_enough() -> bool:
        rows = await redis.xpending_range(stream, group, "-", "+", count, idle=idle_ms)
        return len(rows) >= count

    await wait_until(idle_enough)


FINAL = {Status.APPROVED.value, Status.PENDING.value, Status.SPAM.value, Status.REJECTED.value}


async def statuses(store: Store) -> Counter[str]:
    async with store.db.read() as conn:
        rows = await conn.execute(
            sa.select(comments.c.status, sa.func.count()).group_by(comments.c.status)
        )
        return Counter({str(status): int(n) for status, n in rows.all()})


async def all_final(store: Store, ids: list[str]) -> bool:
    found = await store.comments.get_many(ids)
    return len(found) == len(ids) and all(c.status.value in FINAL for c in found)
