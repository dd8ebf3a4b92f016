"""Fixed-window rate limits in Redis, with an in-process fallback while Redis is down."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import redis.asyncio as aioredis

from commentsvc.config import RateLimit
from commentsvc.queue.constants import rate_key
from commentsvc.queue.redisguard import REDIS_DOWN

log = logging.getLogger(__name__)

# KEYS: counters first, then (optionally) the key to claim. ARGV[1]: how many
# counters; then one TTL per key. One call instead of a pipeline of five
# commands: on the hot POST path that halves the client's CPU cost.
GATE_LUA = """
local counters = tonumber(ARGV[1])
local out = {}
for i = 1, counters do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
  out[i] = n
end
if #KEYS > counters then
  local ok = redis.call('SET', KEYS[#KEYS], '1', 'NX', 'EX', ARGV[#KEYS + 1])
  out[#KEYS] = ok and 1 or 0
end
return out
"""


class RateLimiter:
    """Fixed-window limits per (bucket, subject), counted in Redis by one script call."""

    def __init__(self, redis: aioredis.Redis, limits: Mapping[str, RateLimit]) -> None:
        self.redis = redis
        self.limits = dict(limits)
        self._gate_script = redis.register_script(GATE_LUA)
        self._local: dict[str, int] = {}
        self._local_window: int = 0

    def _plan(self, bucket: str, subject: str, now: float) -> tuple[str, RateLimit, int]:
        limit = self.limits[bucket]
        window_start = int(now // limit.window_s) * limit.window_s
        return rate_key(bucket, subject, window_start), limit, window_start

    async def hit(self, bucket: str, subject: str) -> int | None:
        """Count one request; None if allowed, else seconds until the window resets."""
        retry_after_s, _ = await self.gate([(bucket, subject)])
        return retry_after_s

    async def gate(
        self, hits: list[tuple[str, str]], claim: tuple[str, int] | None = None
    ) -> tuple[int | None, bool | None]:
        """Count `hits` and try to claim `claim` = (key, ttl_s) with SET NX, in one script call.

        Returns (seconds to wait if over a limit else None, whether the claim was
        new; None when Redis could not be asked). All keys must share a hash tag.
        While Redis is down, limits are counted in this process.
        """
        now = time.time()
        plan = [self._plan(bucket, subject, now) for bucket, subject in hits]
        keys = [key for key, _, _ in plan]
        ttls = [limit.window_s + 1 for _, limit, _ in plan]
        if claim is not None:
            keys.append(claim[0])
            ttls.append(claim[1])
        claimed: bool | None = None
        try:
            replies = await self._gate_script(keys=keys, args=[len(plan), *ttls])
            counts = [int(c) for c in replies[: len(plan)]]
            if claim is not None:
                claimed = bool(int(replies[-1]))
        except REDIS_DOWN:
            counts = [self._local_hit(key, now) for key, _, _ in plan]
        waits = [
            max(1, int(start + limit.window_s - now + 0.999))
            for (_, limit, start), count in zip(plan, counts, strict=True)
            if count > limit.count
        ]
        return (max(waits) if waits else None), claimed

    def _local_hit(self, key: str, now: float) -> int:
        minute = int(now // 60)
        if minute != self._local_window:  # forget old windows once a minute
            self._local_window = minute
            if len(self._local) > 100_000:
                self._local.clear()
        self._local[key] = self._local.get(key, 0) + 1
        return self._local[key]
