"""Open and close every outside resource in one place: database, Redis, queues, service.

The web app, the workers and the CLI all use `open_runtime`, so a process
built from any of them is wired the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from commentsvc.comments.events import EventBus
from commentsvc.comments.reader_actions import ReaderActions
from commentsvc.comments.reading import ThreadReader
from commentsvc.comments.service import CommentService
from commentsvc.config import Settings
from commentsvc.queue.constants import (
    GROUP_MODERATE,
    GROUP_NOTIFY,
    STREAM_MODERATE,
    STREAM_NOTIFY,
)
from commentsvc.queue.embedded import EmbeddedRedis
from commentsvc.queue.redisguard import REDIS_DOWN, GuardedRetry, RedisGuard
from commentsvc.queue.sentinel import master_client
from commentsvc.queue.streams import JobQueue
from commentsvc.ratelimit import RateLimiter
from commentsvc.redisurl import is_sentinel_url, parse_sentinel_url
from commentsvc.security import Keys
from commentsvc.store import Store

log = logging.getLogger(__name__)

REDIS_SOCKET_TIMEOUT_S = 5.0
REDIS_CONNECT_TIMEOUT_S = 2.0
REDIS_PROBE_TIMEOUT_S = 1.0


@dataclass
class Runtime:
    """The resources of one process."""

    settings: Settings
    store: Store
    redis: aioredis.Redis
    keys: Keys
    bus: EventBus
    moderate_queue: JobQueue
    notify_queue: JobQueue
    service: CommentService
    reader: ThreadReader
    actions: ReaderActions
    limiter: RateLimiter
    consumer: str
    guard: RedisGuard


def consumer_name() -> str:
    """Unique per process, readable in XINFO: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


def redis_client(url: str, guard: RedisGuard | None = None) -> aioredis.Redis:
    """The process's client; with a guard, every call fails at once while Redis is down."""
    backoff = ExponentialBackoff(cap=0.5, base=0.05)
    return _client(
        url,
        decode_responses=True,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        retry=GuardedRetry(guard, backoff, 2) if guard is not None else Retry(backoff, 2),
        health_check_interval=30,
    )


def _client(url: str, **options: Any) -> aioredis.Redis:
    """One server's client, or (`redis+sentinel://`) one that follows its service's master."""
    if is_sentinel_url(url):
        return master_client(parse_sentinel_url(url), **options)
    return aioredis.Redis.from_url(url, **options)


def redis_guard(url: str) -> tuple[RedisGuard, aioredis.Redis]:
    """A guard for `url` and the unguarded one-connection client its probe PINGs on."""
    probe = _client(
        url,
        socket_timeout=REDIS_PROBE_TIMEOUT_S,
        socket_connect_timeout=REDIS_PROBE_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        single_connection_client=True,
    )
    return RedisGuard(probe.ping), probe


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, migrate: bool = False) -> AsyncIterator[Runtime]:
    """Start what this process needs; close it all, in reverse, on exit."""
    async with contextlib.AsyncExitStack() as stack:
        redis_url = settings.redis_url
        if settings.embedded_redis:
            embedded = EmbeddedRedis(settings.data_dir)
            await embedded.start()
            stack.push_async_callback(embedded.stop)
            redis_url = embedded.url
        guard, probe = redis_guard(redis_url)
        stack.push_async_callback(probe.aclose)
        redis = redis_client(redis_url, guard)
        stack.push_async_callback(redis.aclose)
        stack.push_async_callback(guard.close)  # first: recoveries in progress still use redis
        store = Store.from_url(settings.resolved_database_url)
        stack.push_async_callback(store.close)
        if migrate:
            await store.migrate()
        name = consumer_name()
        moderate_queue, notify_queue = (
            JobQueue(
                redis,
                stream,
                group,
                name,
                idle_timeout_ms=settings.queue_idle_timeout_ms,
                max_deliveries=settings.queue_max_deliveries,
                guard=guard,
            )
            for stream, group in ((STREAM_MODERATE, GROUP_MODERATE), (STREAM_NOTIFY, GROUP_NOTIFY))
        )
        for queue in (moderate_queue, notify_queue):
            try:
                await queue.ensure_group()
            except REDIS_DOWN as exc:
                log.warning(
                    "redis unreachable at start (%s); queues will be set up when it answers", exc
                )
        keys = Keys(settings.secret_key)
        bus = EventBus(redis)
        limiter = RateLimiter(redis, settings.rate_limits)
        service = CommentService(
            settings, store, redis, keys, moderate_queue, notify_queue, bus, limiter
        )
        yield Runtime(
            settings=settings,
            store=store,
            redis=redis,
            keys=keys,
            bus=bus,
            moderate_queue=moderate_queue,
            notify_queue=notify_queue,
            service=service,
            reader=ThreadReader(service),
            actions=ReaderActions(service),
            limiter=limiter,
            consumer=name,
            guard=guard,
        )
