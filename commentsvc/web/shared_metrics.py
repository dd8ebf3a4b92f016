"""Request counts summed over every API process, through one Redis hash.

Each API process counts its requests in memory (`HttpCounters`, nothing but
dict updates per request) and every `PUBLISH_INTERVAL_S` adds what it counted
since its last publish to the hash `STATS_HTTP` in one MULTI/EXEC (HINCRBY,
and HINCRBYFLOAT for the latency sums). /metrics publishes its own process's
counts first, then reads the hash, so whichever process a scrape reaches, it
reports the sum of all of them; the others' figures are at most one interval
old. A process publishes once more as it stops.

The sums are counters that never go back: they outlive any one process (a
restart adds to them) and only start again if Redis loses the hash, which
Prometheus takes as a counter reset. While Redis is down a process keeps its
counts in memory and /metrics shows the last sum it read plus its own
unpublished counts.

Fields: `r METHOD ROUTE STATUS` (requests), `b ROUTE LE` (requests in one
latency bucket, `LE` as in Prometheus' `le`, `+Inf` for the last), `s ROUTE`
(seconds). A space separates the parts: no method (an HTTP token), route
template or status contains one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress

import redis.asyncio as aioredis

from commentsvc.queue.constants import STATS_HTTP
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.web.metrics import LATENCY_BUCKETS_S, HttpCounters

log = logging.getLogger(__name__)

PUBLISH_INTERVAL_S = 1.0
BOUNDS = (*(str(b) for b in LATENCY_BUCKETS_S), "+Inf")
_BUCKET_OF = {bound: i for i, bound in enumerate(BOUNDS)}


def _copy(counters: HttpCounters) -> HttpCounters:
    copy = HttpCounters()
    copy.requests = dict(counters.requests)
    copy.latency = {route: list(h) for route, h in counters.latency.items()}
    return copy


def _minus(now: HttpCounters, before: HttpCounters) -> HttpCounters:
    """What `now` counted since `before` (an earlier copy of it)."""
    delta = HttpCounters()
    for key, n in now.requests.items():
        if n != before.requests.get(key, 0):
            delta.requests[key] = n - before.requests.get(key, 0)
    for route, histogram in now.latency.items():
        old = before.latency.get(route)
        if old is None:
            delta.latency[route] = list(histogram)
        elif old != histogram:
            delta.latency[route] = [a - b for a, b in zip(histogram, old, strict=True)]
    return delta


def _plus(a: HttpCounters, b: HttpCounters) -> HttpCounters:
    total = _copy(a)
    for key, n in b.requests.items():
        total.requests[key] = total.requests.get(key, 0) + n
    for route, histogram in b.latency.items():
        mine = total.latency.get(route)
        if mine is None:
            total.latency[route] = list(histogram)
        else:
            total.latency[route] = [x + y for x, y in zip(mine, histogram, strict=True)]
    return total


def parse(raw: Mapping[bytes | str, bytes | str]) -> HttpCounters:
    """The hash's fields as counters (fields it cannot read are skipped)."""
    counters = HttpCounters()
    for name, raw_value in raw.items():
        field = name.decode() if isinstance(name, bytes) else name
        value = raw_value.decode() if isinstance(raw_value, bytes) else raw_value
        kind, _, rest = field.partition(" ")
        try:
            if kind == "r":
                method, route, status = rest.split(" ")
                counters.requests[(method, route, int(status))] = int(value)
            elif kind in ("b", "s"):
                route, _, bound = rest.partition(" ")
                histogram = counters.latency.setdefault(route, [0.0] * (len(BOUNDS) + 1))
                histogram[_BUCKET_OF[bound] if kind == "b" else -1] = float(value)
        except (ValueError, KeyError):
            continue
    return counters


class SharedHttpCounters:
    """Publishes one process's `HttpCounters` to Redis and reads every process's sum."""

    def __init__(self, redis: aioredis.Redis, local: HttpCounters, key: str = STATS_HTTP) -> None:
        self.redis = redis
        self.local = local
        self.key = key
        self._published = HttpCounters()  # the part of `local` already in the hash
        self._last_sum = HttpCounters()  # the hash as last read
        self._lock = asyncio.Lock()

    async def publish(self) -> bool:
        """Add what this process counted since its last publish; False while Redis is down."""
        async with self._lock:
            snapshot = _copy(self.local)
            delta = _minus(snapshot, self._published)
            if not delta.requests and not delta.latency:
                return True
            async with self.redis.pipeline(transaction=True) as pipe:
                for (method, route, status), n in delta.requests.items():
                    pipe.hincrby(self.key, f"r {method} {route} {status}", n)
                for route, histogram in delta.latency.items():
                    for bound, in_bucket in zip(BOUNDS, histogram, strict=False):
                        if in_bucket:
                            pipe.hincrby(self.key, f"b {route} {bound}", int(in_bucket))
                    pipe.hincrbyfloat(self.key, f"s {route}", histogram[-1])
                try:
                    await pipe.execute()
                except REDIS_DOWN as exc:
                    log.debug("request counts not published yet: %s", exc)
                    return False
            self._published = snapshot
            return True

    async def total(self) -> HttpCounters:
        """Every process's counts: the hash, plus what this process has not published."""
        await self.publish()
        try:
            self._last_sum = parse(await self.redis.hgetall(self.key))
        except REDIS_DOWN as exc:
            log.debug("request counts of the other processes unknown: %s", exc)
        return _plus(self._last_sum, _minus(self.local, self._published))

    async def run(self, interval_s: float = PUBLISH_INTERVAL_S) -> None:
        """Publish every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.publish()
            except Exception:  # never let the counts stop the process
                log.warning("publishing request counts failed", exc_info=True)


@asynccontextmanager
async def publishing(shared: SharedHttpCounters) -> AsyncIterator[None]:
    """Publish periodically while open, and once more at the end."""
    task = asyncio.create_task(shared.run(), name="http-counters")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        with suppress(Exception):
            await shared.publish()
