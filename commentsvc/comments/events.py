"""Thread change events over Redis pub/sub: cache invalidation and live updates.

Any process that changes a thread publishes one event; every API process
listens, drops its cached pages of that thread, and hands the event to local
listeners (the Server-Sent Events hub). Losing an event is harmless: caches
also expire, and the database stays the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from commentsvc.queue.constants import CHANNEL_EVENTS
from commentsvc.queue.redisguard import REDIS_DOWN, RedisDown

log = logging.getLogger(__name__)

Listener = Callable[["ThreadEvent"], None]


@dataclass(frozen=True, slots=True)
class ThreadEvent:
    """Something public changed in a thread. `type` is what live readers see."""

    type: str  # comment.approved | comment.updated | comment.deleted | count | thread.changed
    site: str
    thread: str
    version: int
    comment_id: str = ""
    count: int = 0
    kind: str = ""  # the comment's: "comment" or "feedback" (a feedback filter skips comments)

    def encode(self, origin: str = "") -> bytes:
        return orjson.dumps({**asdict(self), "origin": origin})

    @classmethod
    def decode(cls, data: bytes | str) -> ThreadEvent:
        raw: dict[str, Any] = orjson.loads(data)
        return cls(
            type=str(raw["type"]),
            site=str(raw["site"]),
            thread=str(raw["thread"]),
            version=int(raw.get("version", 0)),
            comment_id=str(raw.get("comment_id", "")),
            count=int(raw.get("count", 0)),
            kind=str(raw.get("kind", "")),
        )


def _level(exc: BaseException) -> int:
    return logging.DEBUG if isinstance(exc, RedisDown) else logging.WARNING


class EventBus:
    """Publish thread events to every process; deliver them to this process's listeners."""

    def __init__(self, redis: aioredis.Redis, channel: str = CHANNEL_EVENTS) -> None:
        self.redis = redis
        self.channel = channel
        self._listeners: list[Listener] = []
        self.origin = secrets.token_hex(8)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def deliver_local(self, event: ThreadEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")

    async def publish(self, event: ThreadEvent) -> None:
        """Tell every process (this one at once, even while Redis is down)."""
        self.deliver_local(event)
        try:
            await self.redis.publish(self.channel, event.encode(self.origin))
        except REDIS_DOWN as exc:  # a known outage was logged once, by the guard
            log.log(_level(exc), "event not published (redis down): %s", exc)

    async def publish_many(self, events: list[ThreadEvent]) -> None:
        """Publish several events in one round trip."""
        if not events:
            return
        for event in events:
            self.deliver_local(event)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel, event.encode(self.origin))
                await pipe.execute()
        except REDIS_DOWN as exc:
            log.log(_level(exc), "%d events not published (redis down): %s", len(events), exc)

    async def listen(self) -> None:
        """Run until cancelled: relay events from other processes to local listeners."""
        backoff_s = 0.1
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                backoff_s = 0.1
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        raw = orjson.loads(message["data"])
                        if raw.get("origin") == self.origin:
                            continue  # delivered locally when published
                        event = ThreadEvent.decode(message["data"])
                    except (ValueError, KeyError, TypeError, AttributeError):
                        log.warning("ignoring malformed event on %s", self.channel)
                        continue
                    self.deliver_local(event)
            except asyncio.CancelledError:
                raise
            except REDIS_DOWN as exc:
                log.log(_level(exc), "event listener lost redis (%s); retrying", exc)
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, 5.0)
            finally:
                with contextlib.suppress(*REDIS_DOWN, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
