"""Ringing a queue's doorbell, and holding the rings while Redis is down.

The database is the truth and a doorbell only says "look at this comment".
While Redis is down a ring can't be published: the comment is committed all
the same and the API answers in its usual time. The doorbell keeps the ring
in memory (up to `MAX_HELD_DOORBELLS`) and publishes what it holds as soon as
the guard sees Redis back, so nothing waits for the sweeper's period. Rings
beyond the cap, or held by a process that dies, are the sweeper's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.queue.constants import MAX_HELD_DOORBELLS
from commentsvc.queue.redisguard import REDIS_DOWN, Outage
from commentsvc.queue.streams import JobQueue

log = logging.getLogger(__name__)

RING_CHUNK = 1_000


class Doorbell:
    """Publishes jobs on one queue; while its guard says Redis is down, holds them."""

    def __init__(self, queue: JobQueue, *, max_held: int = MAX_HELD_DOORBELLS) -> None:
        self.queue = queue
        self.guard = queue.guard
        self.max_held = max_held
        self.dropped = 0  # rings beyond `max_held`, left to the sweeper
        self._held: list[Mapping[str, str]] = []
        self._flushing = asyncio.Lock()
        if self.guard is not None:
            self.guard.on_recovery(self._after_outage)

    @property
    def held(self) -> int:
        return len(self._held)

    async def ring(self, payloads: Sequence[Mapping[str, str]]) -> None:
        """Publish `payloads`; if Redis is down, hold them (or, without a guard, log and leave
        them to the sweeper)."""
        if not payloads:
            return
        if self.guard is not None and self.guard.down:
            self._hold(payloads)
            return
        try:
            await self.queue.publish_many(payloads)
        except REDIS_DOWN as exc:
            gone = isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError)
            if self.guard is None or not (gone or self.guard.down):
                log.warning(
                    "queue %s unreachable (%s); the sweeper will re-enqueue", self.queue.stream, exc
                )
                return
            self._hold(payloads)
            if not self.guard.down:  # it came back while this ring was failing
                await self.ring_held()

    def _hold(self, payloads: Sequence[Mapping[str, str]]) -> None:
        room = self.max_held - len(self._held)
        if room < len(payloads):
            if self.dropped == 0:
                log.warning(
                    "queue %s: %d doorbells held while Redis is down; the sweeper rings the rest",
                    self.queue.stream,
                    self.max_held,
                )
            self.dropped += len(payloads) - max(room, 0)
        self._held.extend(payloads[: max(room, 0)])

    async def _after_outage(self, outage: Outage) -> None:
        await self.ring_held()

    async def ring_held(self) -> int:
        """Publish what was held, in chunks; returns how many. Stops (keeping the rest) if Redis
        goes again."""
        rung = 0
        async with self._flushing:
            while self._held:
                chunk = self._held[:RING_CHUNK]
                try:
                    await self.queue.publish_many(chunk)
                except REDIS_DOWN as exc:
                    log.info("queue %s: held doorbells wait again (%s)", self.queue.stream, exc)
                    break
                del self._held[: len(chunk)]
                rung += len(chunk)
        if rung:
            log.info("queue %s: rang %d doorbells held during the outage", self.queue.stream, rung)
        if not self._held:
            self.dropped = 0
        return rung
