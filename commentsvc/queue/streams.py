"""The job queue: a Redis stream read by one consumer group.

Delivery is at least once. A consumer reads a batch, handles it and acks it;
`ack` also deletes the entries (XDEL), so the stream holds only jobs not yet
finished. That is why each stream has exactly one consumer group: a second
group would miss every entry the first one acked. Workers scale by adding
consumers to the group, not groups.

A job that failed (`fail`), or whose consumer hung, stays pending. After
`idle_timeout_ms` any consumer reclaims it (XCLAIM with a minimum idle time,
so two reclaimers never both get it) and it is delivered again with
`deliveries` one higher. A job already delivered `max_deliveries` times is not
delivered again: it goes to the dead-letter stream with its last error
(see `commentsvc.queue.deadletters`). `idle_timeout_ms` must be longer than
a handler ever takes, or a slow job is handed to a second consumer meanwhile.

A consumer that died is not waited for that long. Live consumers beat a
heartbeat (`beat`, from the consume loop's own task, so a slow handler keeps
beating): a key that expires `dead_after_ms` after the last beat. The jobs of
a consumer that has beaten before but whose key has expired are taken by the
next consumer that looks (at most every `DEAD_CHECK_INTERVAL_MS`). Consumers
that never beat (older releases) lose their jobs only to the idle timeout. A
consumer that starts under the name of a dead one (a container restarted with
its hostname and pid) takes back that one's jobs on its first `consume`.

Needs Redis 6.2 or newer (XPENDING IDLE). A blocking `consume` waits up to
`block_ms` on the connection, so the client's socket timeout must be longer
(redis-py has none by default).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from commentsvc.queue.constants import (
    CONSUMER_DEAD_AFTER_MS,
    CONSUMER_SEEN_TTL_S,
    DEAD_CHECK_INTERVAL_MS,
    DEAD_JOB_MIN_IDLE_MS,
    DEADLETTER_MAXLEN,
    IDLE_TIMEOUT_MS,
    MAX_DELIVERIES,
    STREAM_DEADLETTER,
    STREAM_MAXLEN,
    consumer_alive_key,
    consumer_seen_key,
    job_error_key,
)
from commentsvc.queue.deadletters import deadletter_fields
from commentsvc.queue.entries import Job as Job  # benchmarks/redis_outage.py imports it here
from commentsvc.queue.entries import (
    QueueStats,
    check_payload,
    cut_error,
    entry_time_ms,
    is_nogroup,
    read_entries,
)
from commentsvc.queue.redisguard import RedisGuard

log = logging.getLogger(__name__)


class JobQueue:
    """Publish, consume, ack and fail jobs on one stream for one consumer of one group."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        idle_timeout_ms: int = IDLE_TIMEOUT_MS,
        max_deliveries: int = MAX_DELIVERIES,
        maxlen: int = STREAM_MAXLEN,
        deadletter_stream: str = STREAM_DEADLETTER,
        dead_after_ms: int = CONSUMER_DEAD_AFTER_MS,
        guard: RedisGuard | None = None,
    ) -> None:
        if idle_timeout_ms < 1:
            raise ValueError(f"idle_timeout_ms must be at least 1, got {idle_timeout_ms}")
        if max_deliveries < 1:
            raise ValueError(f"max_deliveries must be at least 1, got {max_deliveries}")
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.idle_timeout_ms = idle_timeout_ms
        self.max_deliveries = max_deliveries
        self.maxlen = maxlen
        self.deadletter_stream = deadletter_stream
        self.dead_after_ms = dead_after_ms
        self.guard = guard  # the client's (queue.redisguard); None: no outage tracking
        self._errors_key = job_error_key(stream)
        self._alive_key = consumer_alive_key(stream, consumer)
        self._seen_key = consumer_seen_key(stream, consumer)
        self._take_back_own = True  # the first consume takes what a dead namesake left
        self._next_dead_check = 0.0

    @property
    def heartbeat_interval_s(self) -> float:
        return self.dead_after_ms / 5000

    async def beat(self) -> None:
        """Say this consumer is alive for another `dead_after_ms`."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._alive_key, "1", px=self.dead_after_ms)
            pipe.set(self._seen_key, "1", ex=CONSUMER_SEEN_TTL_S)
            await pipe.execute()

    async def retire(self) -> None:
        """A clean stop: the jobs this consumer still holds (failed ones) go to the others now."""
        await self.redis.delete(self._alive_key)

    def __repr__(self) -> str:
        return f"JobQueue({self.stream!r}, group={self.group!r}, consumer={self.consumer!r})"

    async def ensure_group(self) -> None:
        """Create the stream and its consumer group (reading from the start) unless they exist."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):
                raise

    async def publish(self, payload: Mapping[str, str]) -> str:
        """Add one job; return its id."""
        fields = check_payload(payload)
        entry_id = await self.redis.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        return str(entry_id)

    async def publish_many(self, payloads: Iterable[Mapping[str, str]]) -> list[str]:
        """Add several jobs in one round trip; return their ids in order."""
        checked = [check_payload(payload) for payload in payloads]
        if not checked:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for fields in checked:
                pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
            ids = await pipe.execute()
        return [str(entry_id) for entry_id in ids]

    async def consume(self, count: int, block_ms: int | None = None) -> list[Job]:
        """Return up to `count` jobs: reclaimed idle ones first, then new ones.

        Reclaiming dead-letters the jobs that were delivered `max_deliveries`
        times already. New jobs are awaited up to `block_ms` only when nothing
        was reclaimed (None: don't wait; 0: wait forever). A missing stream or
        group (a Redis that lost its data) is created again.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        try:
            return await self._consume(count, block_ms)
        except ResponseError as exc:
            if not is_nogroup(exc):
                raise
        log.warning("%r: stream or group missing; creating them", self)
        await self.ensure_group()
        return await self._consume(count, block_ms)

    async def _consume(self, count: int, block_ms: int | None) -> list[Job]:
        jobs = await self._take_back(count) if self._take_back_own else []
        if len(jobs) < count:
            jobs.extend(await self._reclaim(count - len(jobs)))
        if len(jobs) < count and time.monotonic() >= self._next_dead_check:
            jobs.extend(await self._reclaim_from_dead(count - len(jobs)))
        if len(jobs) < count:
            jobs.extend(await self._read_new(count - len(jobs), None if jobs else block_ms))
        return jobs

    async def _read_new(self, count: int, block_ms: int | None) -> list[Job]:
        response: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms
        )
        return [Job(entry_id, fields, 1) for entry_id, fields in read_entries(response)]

    async def _reclaim(self, count: int) -> list[Job]:
        jobs: list[Job] = []
        while len(jobs) < count:
            wanted = count - len(jobs)
            idle: list[dict[str, Any]] = await self.redis.xpending_range(
                self.stream, self.group, "-", "+", wanted, idle=self.idle_timeout_ms
            )
            if not idle:
                break
            jobs.extend(await self._claim(idle))
            if len(idle) < wanted:
                break
        return jobs

    async def _take_back(self, count: int) -> list[Job]:
        """Jobs pending under this consumer's name before it first consumed: a previous
        process of the same name died holding them."""
        rows: list[dict[str, Any]] = await self.redis.xpending_range(
            self.stream, self.group, "-", "+", count, consumername=self.consumer
        )
        if len(rows) < count:
            self._take_back_own = False
        if rows:
            log.warning("%r: taking back %d jobs a previous process left", self, len(rows))
        return await self._claim(rows, 0) if rows else []

    async def _reclaim_from_dead(self, count: int) -> list[Job]:
        """The pending jobs of consumers whose heartbeat has stopped."""
        self._next_dead_check = time.monotonic() + DEAD_CHECK_INTERVAL_MS / 1000
        summary: Any = await self.redis.xpending(self.stream, self.group)
        owners = [
            str(c["name"])
            for c in summary.get("consumers") or []
            if c["name"] != self.consumer and int(c["pending"]) > 0
        ]
        if not owners:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for owner in owners:
                pipe.exists(consumer_seen_key(self.stream, owner))
                pipe.exists(consumer_alive_key(self.stream, owner))
            found = await pipe.execute()
        dead = [o for i, o in enumerate(owners) if found[2 * i] and not found[2 * i + 1]]
        jobs: list[Job] = []
        for owner in dead:
            rows: list[dict[str, Any]] = await self.redis.xpending_range(
                self.stream,
                self.group,
                "-",
                "+",
                count - len(jobs),
                idle=DEAD_JOB_MIN_IDLE_MS,
                consumername=owner,
            )
            if rows:
                log.warning("%r: taking %d jobs of dead consumer %s", self, len(rows), owner)
                jobs.extend(await self._claim(rows, DEAD_JOB_MIN_IDLE_MS))
            if len(jobs) >= count:
                self._next_dead_check = 0.0  # more may be left: look again next time
                break
        return jobs

    async def _claim(self, idle: list[dict[str, Any]], min_idle_ms: int | None = None) -> list[Job]:
        delivered = {row["message_id"]: int(row["times_delivered"]) for row in idle}
        min_idle_ms = self.idle_timeout_ms if min_idle_ms is None else min_idle_ms
        claimed: Any = await self.redis.xclaim(
            self.stream, self.group, self.consumer, min_idle_ms, list(delivered)
        )
        jobs: list[Job] = []
        dead: list[Job] = []
        found: set[str] = set()
        entries_missing = False
        for entry_id, fields in claimed:
            if entry_id is None:  # Redis < 7 answers nil for an entry deleted from the stream
                entries_missing = True
                continue
            found.add(entry_id)
            previous = delivered[entry_id]
            if previous >= self.max_deliveries:
                dead.append(Job(entry_id, fields, previous))
            else:
                jobs.append(Job(entry_id, fields, previous + 1))
        if entries_missing:
            await self._drop_deleted([i for i in delivered if i not in found])
        if dead:
            await self._bury_reclaimed(dead)
        return jobs

    async def _drop_deleted(self, candidate_ids: list[str]) -> None:
        """Ack pending entries we just claimed whose stream entry no longer exists."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in candidate_ids:
                pipe.xpending_range(
                    self.stream, self.group, entry_id, entry_id, 1, consumername=self.consumer
                )
            owned = await pipe.execute()
        gone = [rows[0]["message_id"] for rows in owned if rows]
        if not gone:
            return
        log.warning("%r: jobs %s were deleted from the stream before being handled", self, gone)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream, self.group, *gone)
            pipe.hdel(self._errors_key, *gone)
            await pipe.execute()

    async def _bury_reclaimed(self, dead: list[Job]) -> None:
        errors: list[Any] = await self.redis.hmget(self._errors_key, [j.id for j in dead])
        silent = f"not acknowledged within {self.idle_timeout_ms} ms (consumer died or hung)"
        async with self.redis.pipeline(transaction=False) as pipe:
            for job, error in zip(dead, errors, strict=True):
                self._queue_deadletter(pipe, job, error or silent)
            await pipe.execute()

    def _queue_deadletter(self, pipe: Pipeline, job: Job, error: str) -> None:
        """Add the dead letter before removing the job: a crash in between repeats, never loses."""
        log.warning("%r: job %s dead after %d deliveries: %s", self, job.id, job.deliveries, error)
        fields = deadletter_fields(
            stream=self.stream,
            group=self.group,
            job_id=job.id,
            deliveries=job.deliveries,
            last_error=error,
            payload=job.payload,
        )
        fields_out = cast("dict[FieldT, EncodableT]", fields)
        pipe.xadd(self.deadletter_stream, fields_out, maxlen=DEADLETTER_MAXLEN, approximate=True)
        pipe.xack(self.stream, self.group, job.id)
        pipe.xdel(self.stream, job.id)
        pipe.hdel(self._errors_key, job.id)

    async def ack(self, ids: Sequence[str]) -> None:
        """Finish jobs: XACK and XDEL them (and forget their errors) in one round trip.

        Deleting is safe because a stream has one consumer group; see the module docstring.
        """
        if not ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            pipe.hdel(self._errors_key, *ids)
            await pipe.execute()

    async def fail(self, job: Job, error: str) -> None:
        """Record why a job failed and leave it pending, to be redelivered after the idle timeout.

        A job that has had its last delivery goes to the dead-letter stream now.
        """
        await self.fail_many([job], error)

    async def fail_many(self, jobs: Sequence[Job], error: str) -> None:
        """`fail` several jobs with the same error in one round trip."""
        if not jobs:
            return
        error = cut_error(error)
        retry = [job for job in jobs if job.deliveries < self.max_deliveries]
        async with self.redis.pipeline(transaction=False) as pipe:
            if retry:
                pipe.hset(self._errors_key, mapping={job.id: error for job in retry})
            for job in jobs:
                if job.deliveries >= self.max_deliveries:
                    self._queue_deadletter(pipe, job, error)
            await pipe.execute()

    async def stats(self) -> QueueStats:
        """Length, pending count, oldest pending age and lag; zeros when the stream is missing."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.stream)
            pipe.xpending(self.stream, self.group)
            pipe.xinfo_groups(self.stream)
            pipe.time()
            length, pending, groups, now = await pipe.execute(raise_on_error=False)
        if isinstance(pending, ResponseError) and is_nogroup(pending):
            length = 0 if isinstance(length, Exception) else int(length)
            return QueueStats(self.stream, self.group, length, 0, 0, length)
        for result in (length, pending, groups, now):
            if isinstance(result, Exception):
                raise result
        pending_count = int(pending["pending"])
        oldest_age_ms = 0
        if pending_count and pending["min"]:
            now_ms = int(now[0]) * 1000 + int(now[1]) // 1000
            oldest_age_ms = max(0, now_ms - entry_time_ms(pending["min"]))
        lag: int | None = None
        for group in groups:
            if group.get("name") == self.group:
                lag = group.get("lag")
        if lag is None:
            # Redis < 7, or a lag Redis can't tell: acked entries are deleted, so
            # every entry still in the stream is either pending or undelivered.
            lag = max(0, int(length) - pending_count)
        return QueueStats(
            self.stream, self.group, int(length), pending_count, oldest_age_ms, int(lag)
        )
