"""Counters shared by every process (kept in Redis hashes, read by /metrics)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis.asyncio as aioredis

from commentsvc.queue.redisguard import REDIS_DOWN

log = logging.getLogger(__name__)


async def count(redis: aioredis.Redis, key: str, names: Iterable[str], by: int = 1) -> None:
    """Add `by` to each name's counter; a Redis outage loses the count, not the work."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hincrby(key, name, by)
            await pipe.execute()
    except REDIS_DOWN as exc:
        log.debug("stats %s not counted: %s", key, exc)


async def read(redis: aioredis.Redis, key: str) -> dict[str, int]:
    try:
        raw = await redis.hgetall(key)
    except REDIS_DOWN:
        return {}
    return {str(k): int(v) for k, v in raw.items()}
