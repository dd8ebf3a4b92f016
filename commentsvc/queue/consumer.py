"""The consume loop every worker runs: batches in, handler, ack; survives Redis outages.

An outage is logged twice, when the loop meets it and, with its length, when
Redis answers again. Meanwhile the loop waits for the queue's guard (see
`commentsvc.queue.redisguard`) to see Redis back, so it resumes within one probe
interval; without a guard it retries with capped backoff, quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import traceback
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

from commentsvc.queue.constants import (
    BATCH_SIZE,
    BLOCK_MS,
    HEALTH_TTL_S,
    RETRY_BACKOFF_MAX_S,
    RETRY_BACKOFF_MIN_S,
    health_key,
)
from commentsvc.queue.entries import Job
from commentsvc.queue.streams import JobQueue

log = logging.getLogger(__name__)

HEART_STOP_S = 2.0
"""How long a stopping consumer waits for its heartbeat task to end."""

Handler = Callable[[list[Job]], Awaitable[Collection[str]]]
"""Handles a batch; returns the ids it finished. The others are failed and redelivered later."""

# Server replies that mean "not now" rather than "wrong": a restart, a failover, memory pressure.
# UNBLOCKED: the stream was deleted under a blocked read (FLUSHDB, a cleanup); the
# next read recreates the group.
_TRANSIENT_REPLIES = (
    "LOADING",
    "MASTERDOWN",
    "READONLY",
    "OOM",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "UNBLOCKED",
)


def is_transient(exc: BaseException) -> bool:
    """True for Redis errors worth retrying: connection lost, timeout, busy, failing over."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return True
    return isinstance(exc, ResponseError) and str(exc).startswith(_TRANSIENT_REPLIES)


class _Backoff:
    """Capped exponential backoff with jitter, so many workers don't reconnect in step."""

    def __init__(self, min_s: float = RETRY_BACKOFF_MIN_S, max_s: float = RETRY_BACKOFF_MAX_S):
        self.min_s = min_s
        self.max_s = max_s
        self._next_s = min_s

    def reset(self) -> None:
        self._next_s = self.min_s

    def next_delay_s(self) -> float:
        delay_s = self._next_s
        self._next_s = min(self.max_s, self._next_s * 2)
        return delay_s * random.uniform(0.5, 1.0)


async def _sleep_unless_stopped(stop: asyncio.Event, delay_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay_s)


def _is_outage(exc: BaseException) -> bool:
    """Redis, the network or the database unreachable: nothing a smaller batch would fix."""
    return isinstance(exc, (RedisError, OSError, TimeoutError, OperationalError, InterfaceError))


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()


async def _handle_batch(
    queue: JobQueue, handler: Handler, jobs: list[Job], name: str, owed: list[str]
) -> int:
    """Run the handler on one batch; ack what it finished, fail the rest. Returns jobs finished.

    When the handler raises on a batch, each half is tried on its own (down to single
    jobs), so one poison job fails alone instead of holding up its batch-mates.
    Finished jobs whose ack meets an outage stay in `owed`, acked once Redis is back.
    """
    try:
        done = await handler(jobs)
    except Exception as exc:
        log.exception("%s: handler failed on a batch of %d jobs", name, len(jobs))
        if len(jobs) == 1 or _is_outage(exc):  # an outage fails every job alike
            await queue.fail_many(jobs, _describe(exc))
            return 0
        half = len(jobs) // 2
        first = await _handle_batch(queue, handler, jobs[:half], name, owed)
        return first + await _handle_batch(queue, handler, jobs[half:], name, owed)
    done_ids = set(done)
    finished = [job.id for job in jobs if job.id in done_ids]
    unfinished = [job for job in jobs if job.id not in done_ids]
    owed.extend(finished)
    await queue.ack(owed)
    owed.clear()
    if unfinished:
        log.warning("%s: handler left %d of %d jobs unfinished", name, len(unfinished), len(jobs))
        await queue.fail_many(unfinished, "the handler did not finish this job")
    return len(finished)


async def run_consumer(
    queue: JobQueue,
    handler: Handler,
    *,
    name: str,
    stop: asyncio.Event | None = None,
    burst: bool = False,
    batch_size: int = BATCH_SIZE,
    block_ms: int = BLOCK_MS,
    health_ttl_s: int = HEALTH_TTL_S,
) -> int:
    """Consume `queue` in batches until `stop` is set (or, with `burst`, until it is empty).

    Each batch goes to `handler`; the ids it returns are acked, the other jobs
    failed (redelivered after the queue's idle timeout, dead-lettered after its
    max deliveries). A handler exception fails the whole batch and the loop goes
    on. When `stop` is set the batch in hand is finished and acked before
    returning; a blocking read in progress ends within `block_ms`.

    Redis being unreachable is logged once when met and once when over, and
    waited out forever, except in burst mode, where the error is raised. Each
    iteration refreshes the health key `constants.health_key(name, queue.consumer)`
    with a TTL of `health_ttl_s`; a clean return deletes it. A task of its own
    beats the queue's heartbeat (`JobQueue.beat`) meanwhile, so a slow batch does
    not make this consumer look dead. Returns the number of jobs finished.
    """
    stop = stop if stop is not None else asyncio.Event()
    health = health_key(name, queue.consumer)
    backoff = _Backoff()
    handled = 0
    group_ready = False
    outage_since: float | None = None
    owed: list[str] = []  # finished jobs whose ack met an outage
    log.info("%s: consuming %r", name, queue)
    heart = asyncio.create_task(_beat_forever(queue), name=f"{name}-heartbeat")
    try:
        while not stop.is_set():
            try:
                if not group_ready:
                    await queue.ensure_group()
                    await queue.beat()
                    group_ready = True
                await queue.redis.set(health, datetime.now(UTC).isoformat(), ex=health_ttl_s)
                if owed:
                    await queue.ack(owed)
                    owed.clear()
                jobs = await queue.consume(batch_size, None if burst else block_ms)
                if outage_since is not None:
                    log.info(
                        "%s: Redis is reachable again after %.1f s",
                        name,
                        time.monotonic() - outage_since,
                    )
                    outage_since = None
                    backoff.reset()
                if jobs:
                    handled += await _handle_batch(queue, handler, jobs, name, owed)
                if burst and not jobs:
                    break
            except RedisError as exc:
                if burst or not is_transient(exc):
                    raise
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning("%s: Redis unavailable (%s); waiting for it", name, exc)
                if queue.guard is not None and queue.guard.down:
                    await queue.guard.wait_up(stop)
                else:
                    await _sleep_unless_stopped(stop, backoff.next_delay_s())
    finally:
        heart.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            async with asyncio.timeout(HEART_STOP_S):  # never hang a stop on a heartbeat
                await heart
    with contextlib.suppress(RedisError, TimeoutError):
        async with asyncio.timeout(1.0):
            await queue.redis.delete(health)
            await queue.retire()
    log.info("%s: stopped after %d jobs", name, handled)
    return handled


async def _beat_forever(queue: JobQueue) -> None:
    """Beat the queue's heartbeat until cancelled; an outage skips beats, quietly.

    A cancel that lands inside the Redis call can come out of the client as a
    connection or timeout error; it is still a cancel (else the task would go on
    beating and its consumer would never stop: seen under load on SIGTERM)."""
    task = asyncio.current_task()
    while True:
        try:
            await queue.beat()
        except (RedisError, OSError, TimeoutError):
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None
        await asyncio.sleep(queue.heartbeat_interval_s)
