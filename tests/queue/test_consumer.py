"""The consume loop: burst drains, failures are redelivered, stop is graceful, outages survived."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import ResponseError

from commentsvc.models import Status
from commentsvc.queue.constants import health_key, job_error_key
from commentsvc.queue.consumer import run_consumer
from commentsvc.queue.entries import Job
from commentsvc.queue.streams import JobQueue
from commentsvc.runtime import redis_client, redis_guard
from commentsvc.store import Store
from commentsvc.store.tables import events
from tests.processes import service_env
from tests.queue.helpers import QueueServer, statuses, wait_idle, wait_until
from tests.servers import RedisProcess
from tests.support import live_client, make_settings, runtime_of

GROUP = "workers"
IDLE_MS = 150
REPO_ROOT = Path(__file__).resolve().parents[2]


def make_queue(client: aioredis.Redis, stream: str, consumer: str = "c1") -> JobQueue:
    return JobQueue(
        client, stream, GROUP, consumer, idle_timeout_ms=IDLE_MS, deadletter_stream=f"{stream}:dead"
    )


class Recorder:
    """A handler that finishes every job and remembers what it saw."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.batch_sizes: list[int] = []

    async def __call__(self, jobs: list[Job]) -> Collection[str]:
        self.jobs.extend(jobs)
        self.batch_sizes.append(len(jobs))
        return [job.id for job in jobs]

    def payloads(self, field: str = "n") -> list[str]:
        return [job.payload[field] for job in self.jobs]


async def test_burst_drains_in_batches_and_returns(server: QueueServer, stream: str) -> None:
    queue = make_queue(server.client, stream)
    await queue.publish_many([{"n": str(n)} for n in range(120)])
    handler = Recorder()

    handled = await run_consumer(queue, handler, name="test", burst=True, batch_size=50)

    assert handled == 120
    assert handler.batch_sizes == [50, 50, 20]
    assert handler.payloads() == [str(n) for n in range(120)]
    stats = await queue.stats()
    assert (stats.length, stats.pending) == (0, 0)


async def test_burst_includes_jobs_of_a_dead_consumer(server: QueueServer, stream: str) -> None:
    dead = make_queue(server.client, stream, "dead")
    await dead.ensure_group()
    await dead.publish_many([{"n": "a"}, {"n": "b"}])
    await dead.consume(1)  # takes "a", then never answers again
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)
    handler = Recorder()

    handled = await run_consumer(make_queue(server.client, stream), handler, name="t", burst=True)

    assert handled == 2
    assert [(job.payload["n"], job.deliveries) for job in handler.jobs] == [("a", 2), ("b", 1)]


async def test_unfinished_jobs_are_failed_and_redelivered(server: QueueServer, stream: str) -> None:
    queue = make_queue(server.client, stream)
    ids = await queue.publish_many([{"n": str(n)} for n in range(4)])

    async def finish_even(jobs: list[Job]) -> Collection[str]:
        return [job.id for job in jobs if int(job.payload["n"]) % 2 == 0]

    assert await run_consumer(queue, finish_even, name="t", burst=True) == 2
    errors = await server.client.hgetall(job_error_key(stream))
    assert set(errors) == {ids[1], ids[3]}
    assert "did not finish" in errors[ids[1]]

    await wait_idle(server.client, stream, GROUP, IDLE_MS, 2)
    handler = Recorder()
    assert await run_consumer(queue, handler, name="t", burst=True) == 2
    assert [(job.payload["n"], job.deliveries) for job in handler.jobs] == [("1", 2), ("3", 2)]


async def test_a_poison_job_fails_alone_and_the_loop_goes_on(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server.client, stream)
    ids = await queue.publish_many([{"n": str(n)} for n in range(4)])
    batches: list[list[str]] = []

    async def poison_1(jobs: list[Job]) -> Collection[str]:
        batches.append([job.payload["n"] for job in jobs])
        if any(job.payload["n"] == "1" for job in jobs):
            raise ValueError("bad job")
        return [job.id for job in jobs]

    handled = await run_consumer(queue, poison_1, name="t", burst=True, batch_size=2)

    assert handled == 3  # the failing batch was retried in halves: only job 1 failed
    assert batches == [["0", "1"], ["0"], ["1"], ["2", "3"]]
    errors = await server.client.hgetall(job_error_key(stream))
    assert errors == {ids[1]: "ValueError: bad job"}
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)
    handler = Recorder()
    assert await run_consumer(queue, handler, name="t", burst=True) == 1
    assert handler.payloads() == ["1"]
    assert (await queue.stats()).pending == 0


async def test_an_outage_fails_the_whole_batch_without_splitting(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server.client, stream)
    await queue.publish_many([{"n": str(n)} for n in range(4)])
    calls = 0

    async def database_down(jobs: list[Job]) -> Collection[str]:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError("the database is down")

    assert await run_consumer(queue, database_down, name="t", burst=True, batch_size=4) == 0
    assert calls == 1


async def test_stop_finishes_and_acks_the_batch_in_hand(server: QueueServer, stream: str) -> None:
    queue = make_queue(server.client, stream)
    await queue.publish_many([{"n": str(n)} for n in range(5)])
    stop = asyncio.Event()
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(jobs: list[Job]) -> Collection[str]:
        started.set()
        await release.wait()
        return [job.id for job in jobs]

    consumer = asyncio.create_task(
        run_consumer(queue, slow, name="t", stop=stop, batch_size=2, block_ms=100)
    )
    await started.wait()
    stop.set()
    release.set()

    async with asyncio.timeout(5):
        handled = await consumer

    assert handled == 2
    stats = await queue.stats()
    assert (stats.length, stats.pending, stats.lag) == (3, 0, 3)


class CancelSwallowingQueue(JobQueue):
    """A queue whose heartbeat call turns a cancel into a timeout, as a Redis client can
    when the cancel lands inside a command (the worker hung on SIGTERM under load)."""

    async def beat(self) -> None:
        try:
            await asyncio.sleep(0.5)  # a slow PING on a loaded machine
        except asyncio.CancelledError:
            raise TimeoutError("timed out reading the reply") from None
        await super().beat()


async def test_stop_is_not_held_up_by_a_heartbeat_that_swallows_its_cancel(
    server: QueueServer, stream: str
) -> None:
    queue = CancelSwallowingQueue(
        server.client, stream, GROUP, "c1", idle_timeout_ms=IDLE_MS, dead_after_ms=250
    )
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        run_consumer(queue, Recorder(), name="t", stop=stop, block_ms=50)
    )
    await asyncio.sleep(0.3)  # the heartbeat is inside its slow call now and then
    for _ in range(10):  # stop while a beat is in flight
        await asyncio.sleep(0.05)
    stop.set()
    async with asyncio.timeout(5):  # before the fix: never (the heart beat on for ever)
        assert await consumer == 0


async def test_health_key_lives_while_the_consumer_runs(server: QueueServer, stream: str) -> None:
    queue = make_queue(server.client, stream, "pod-7")
    key = health_key("moderation", "pod-7")
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        run_consumer(queue, Recorder(), name="moderation", stop=stop, block_ms=50, health_ttl_s=9)
    )

    async def key_set() -> bool:
        return bool(await server.client.exists(key))

    await wait_until(key_set)
    assert 0 < await server.client.ttl(key) <= 9
    stop.set()
    async with asyncio.timeout(5):
        await consumer
    assert not await key_set()


async def test_stream_of_another_type_is_an_error_not_a_retry(
    server: QueueServer, stream: str
) -> None:
    await server.client.set(stream, "not a stream")
    queue = make_queue(server.client, stream)
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        async with asyncio.timeout(5):
            await run_consumer(queue, Recorder(), name="t", block_ms=50)


@pytest.mark.parametrize("keeps_data", [True, False], ids=["append-only", "data-lost"])
async def test_consumer_survives_a_redis_restart(
    tmp_path: Path, keeps_data: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = RedisProcess(tmp_path / "redis", appendonly=keeps_data)
    server.start()
    client = aioredis.Redis.from_url(server.url, decode_responses=True)
    queue = make_queue(client, "test:restart")
    handler = Recorder()
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(queue, handler, name="t", stop=stop, block_ms=50))
    try:
        await queue.publish({"n": "before"})

        async def handled(count: int) -> bool:
            return len(handler.jobs) >= count

        await wait_until(lambda: handled(1))
        server.stop()
        await asyncio.sleep(0.3)  # the loop meets the outage and backs off
        server.start()
        await queue.publish({"n": "after"})
        await wait_until(lambda: handled(2), timeout_s=20)
    finally:
        stop.set()
        async with asyncio.timeout(10):
            handled_count = await consumer
        await client.aclose()
        server.stop()

    assert handler.payloads() == ["before", "after"]
    assert handled_count == 2
    started, ended = outage_lines(caplog, "t")  # without a guard: backoff, quietly
    assert (len(started), len(ended)) == (1, 1)


def outage_lines(caplog: pytest.LogCaptureFixture, name: str) -> tuple[list[str], list[str]]:
    messages = [r.getMessage() for r in caplog.records if r.name == "commentsvc.queue.consumer"]
    return (
        [m for m in messages if m.startswith(f"{name}: Redis unavailable")],
        [m for m in messages if m.startswith(f"{name}: Redis is reachable again")],
    )


async def test_an_outage_is_logged_once_when_met_and_once_when_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = RedisProcess(tmp_path / "redis")
    server.start()
    guard, probe = redis_guard(server.url)
    client = redis_client(server.url, guard)
    queue = JobQueue(client, "test:outage", GROUP, "c1", idle_timeout_ms=IDLE_MS, guard=guard)
    handler = Recorder()
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(queue, handler, name="t", stop=stop, block_ms=50))
    try:
        await queue.publish({"n": "before"})
        await wait_until(lambda: _handled(handler, 1))
        server.stop()

        async def probed_a_while() -> bool:  # many retries' worth of outage, not one
            return guard.down and guard.probes >= 4

        await wait_until(probed_a_while)
        server.start()
        async with asyncio.timeout(10):
            await guard.wait_up()
        await queue.publish({"n": "after"})
        await wait_until(lambda: _handled(handler, 2), timeout_s=20)
    finally:
        stop.set()
        async with asyncio.timeout(10):
            await consumer
        await guard.close()
        await client.aclose()
        await probe.aclose()
        server.stop()

    started, ended = outage_lines(caplog, "t")
    assert len(started) == 1, started
    assert len(ended) == 1, ended
    assert " after " in ended[0]
    assert not [
        r
        for r in caplog.records
        if r.name == "commentsvc.queue.consumer"
        and r.levelno >= logging.WARNING
        and r.getMessage() not in started
    ]


async def _handled(handler: Recorder, count: int) -> bool:
    return len(handler.jobs) >= count


async def test_a_dead_consumers_jobs_are_taken_long_before_the_idle_timeout(
    server: QueueServer, stream: str
) -> None:
    survivor = JobQueue(server.client, stream, GROUP, "survivor", idle_timeout_ms=3_600_000)
    await survivor.ensure_group()
    ids = await survivor.publish_many([{"n": str(n)} for n in range(3)])
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("beat_and_hang.py")),
        server.url,
        stream,
        GROUP,
        "doomed",
        "300",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    handler = Recorder()
    stop = asyncio.Event()
    try:
        assert doomed.stdout is not None
        async with asyncio.timeout(15):
            taken = json.loads(await doomed.stdout.readline())
        assert taken == ids
        # Alive but slow: held well past its heartbeat's expiry time, its jobs stay its own.
        await wait_idle(server.client, stream, GROUP, 1_000, 3)
        assert await survivor.consume(10) == []
    finally:
        doomed.kill()  # SIGKILL: the heartbeat stops with it
        await doomed.wait()

    consumer = asyncio.create_task(
        run_consumer(survivor, handler, name="t", stop=stop, block_ms=50)
    )
    try:
        await wait_until(lambda: _handled(handler, 3), timeout_s=30)
    finally:
        stop.set()
        async with asyncio.timeout(10):
            await consumer
    assert sorted((job.id, job.deliveries) for job in handler.jobs) == [(i, 2) for i in ids]
    assert (await survivor.stats()).pending == 0


async def test_a_consumer_restarted_under_its_old_name_takes_its_jobs_back(
    server: QueueServer, stream: str
) -> None:
    first_life = JobQueue(server.client, stream, GROUP, "pod-1", idle_timeout_ms=3_600_000)
    await first_life.ensure_group()
    ids = await first_life.publish_many([{"n": "a"}, {"n": "b"}])
    assert len(await first_life.consume(10)) == 2  # then the process dies holding them

    second_life = JobQueue(server.client, stream, GROUP, "pod-1", idle_timeout_ms=3_600_000)
    jobs = await second_life.consume(10)

    assert [(job.id, job.deliveries) for job in jobs] == [(i, 2) for i in ids]
    assert await second_life.consume(10) == []  # once: after that, what it holds is in hand


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "commentsvc", "worker", "moderation", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_killed_worker_loses_nothing_and_repeats_nothing(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS="post=100000/60,post_hour=100000/3600",
        COMMENTSVC_MAX_CONNECTIONS_PER_IP="0",  # 600 posts at once, all from 127.0.0.1
    )
    total = 600
    async with live_client(settings) as client:
        runtime = runtime_of(client)
        await runtime.store.sites.update(
            "default", policy={"flood_max": 100_000, "duplicate_window_s": 0}
        )
        runtime.service.forget_site("default")
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/comments",
                    json={
                        "thread": f"kill/{i % 7}",
                        "body": f"comment number {i} " + "word " * (i % 40),
                    },
                )
                for i in range(total)
            )
        )
        assert all(r.status == 202 for r in responses)
    env = service_env(
        tmp_path,
        COMMENTSVC_DATABASE_URL=sqlite_url,
        COMMENTSVC_REDIS_URL=redis_url,
        COMMENTSVC_BATCH_SIZE="20",
        COMMENTSVC_QUEUE_IDLE_TIMEOUT_MS="500",
    )
    store = Store.from_url(sqlite_url)
    try:
        first = _worker(env)
        moderated_at_kill = 0

        async def some_done() -> bool:
            nonlocal moderated_at_kill
            moderated_at_kill = total - (await statuses(store))[Status.RECEIVED.value]
            return moderated_at_kill >= 40

        assert await wait_until(some_done, timeout_s=30, poll_s=0.005), "worker made no progress"
        first.kill()  # SIGKILL: no chance to ack or clean up
        first.wait()
        left = (await statuses(store))[Status.RECEIVED.value]
        assert left > 0, "the worker finished before it could be killed; the test proves nothing"
        await asyncio.sleep(
            0.6
        )  # past the idle timeout, so the dead consumer's jobs are reclaimable
        second = _worker(env, "--burst")
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
        counts = await statuses(store)
        assert counts[Status.RECEIVED.value] == 0, counts
        assert sum(counts.values()) == total
        async with store.db.read() as conn:
            per_comment = Counter(
                cid
                for (cid,) in await conn.execute(
                    sa.select(events.c.comment_id).where(
                        events.c.from_status == Status.RECEIVED.value
                    )
                )
            )
        assert len(per_comment) == total
        assert set(per_comment.values()) == {1}, "a comment was moderated twice"
        assert await redis.xlen("commentsvc:moderate") == 0
    finally:
        await store.close()
