"""Failed logins per account over a sliding window, so a burst across a minute boundary counts.

Kept in a Redis sorted set (one per account, scored by time); while Redis is
down, in this process's memory instead.
"""

from __future__ import annotations

import secrets
import time
from collections import deque

import redis.asyncio as aioredis

from commentsvc.queue.constants import login_failures_key
from commentsvc.queue.redisguard import REDIS_DOWN

MAX_LOCAL_SUBJECTS = 100_000


class FailedLogins:
    def __init__(self, redis: aioredis.Redis, window_s: int) -> None:
        self.redis = redis
        self.window_s = window_s
        self._local: dict[str, deque[float]] = {}

    async def recent(self, subject: str) -> tuple[int, float]:
        """(failures within the window, seconds until the oldest of them leaves it)."""
        now = time.time()
        key = login_failures_key(subject)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(key, "-inf", now - self.window_s)
                pipe.zrange(key, 0, 0, withscores=True)
                pipe.zcard(key)
                _, oldest, count = await pipe.execute()
            first = float(oldest[0][1]) if oldest else now
        except REDIS_DOWN:
            times = self._local_times(subject, now)
            count, first = len(times), times[0] if times else now
        return int(count), max(0.0, first + self.window_s - now)

    async def record(self, subject: str) -> None:
        now = time.time()
        key = login_failures_key(subject)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
                pipe.expire(key, self.window_s + 1)
                await pipe.execute()
        except REDIS_DOWN:
            if len(self._local) > MAX_LOCAL_SUBJECTS:
                self._local.clear()
            self._local.setdefault(subject, deque()).append(now)

    async def clear(self, subject: str) -> None:
        self._local.pop(subject, None)
        try:
            await self.redis.delete(login_failures_key(subject))
        except REDIS_DOWN:
            return

    def _local_times(self, subject: str, now: float) -> deque[float]:
        times = self._local.get(subject, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
