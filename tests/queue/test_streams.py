"""The JobQueue contract, against real Redis servers (see conftest: two of them)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from commentsvc.queue.constants import job_error_key
from commentsvc.queue.deadletters import list_deadletters
from commentsvc.queue.entries import QueueStats
from commentsvc.queue.streams import JobQueue
from tests.queue.helpers import QueueServer, wait_idle

GROUP = "workers"
IDLE_MS = 150
REPO_ROOT = Path(__file__).resolve().parents[2]


def make_queue(server: QueueServer, stream: str, consumer: str = "c1", **options: int) -> JobQueue:
    return JobQueue(
        server.client,
        stream,
        GROUP,
        consumer,
        idle_timeout_ms=options.pop("idle_timeout_ms", IDLE_MS),
        deadletter_stream=f"{stream}:dead",
        **options,
    )


async def test_publish_consume_ack(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    await queue.ensure_group()
    first = await queue.publish({"comment_id": "c-1"})
    rest = await queue.publish_many([{"comment_id": "c-2"}, {"comment_id": "c-3", "why": "x"}])

    jobs = await queue.consume(10)

    assert [job.id for job in jobs] == [first, *rest]
    assert [job.payload for job in jobs] == [
        {"comment_id": "c-1"},
        {"comment_id": "c-2"},
        {"comment_id": "c-3", "why": "x"},
    ]
    assert {job.deliveries for job in jobs} == {1}
    stats = await queue.stats()
    assert (stats.length, stats.pending, stats.lag) == (3, 3, 0)

    await queue.ack([job.id for job in jobs])

    stats = await queue.stats()
    assert (stats.length, stats.pending, stats.lag, stats.oldest_pending_age_ms) == (0, 0, 0, 0)
    assert await queue.consume(10) == []


async def test_consume_returns_at_most_count(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    await queue.ensure_group()
    await queue.publish_many([{"n": str(n)} for n in range(5)])

    sizes = [len(await queue.consume(2)) for _ in range(4)]

    assert sizes == [2, 2, 1, 0]


async def test_ensure_group_is_idempotent_and_reads_from_the_start(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server, stream)
    published_before = await queue.publish({"n": "0"})

    await queue.ensure_group()
    await queue.ensure_group()

    assert [job.id for job in await queue.consume(10)] == [published_before]


async def test_consume_recreates_a_lost_group(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    assert await queue.consume(5) == []  # no stream, no group yet
    await server.client.xgroup_destroy(stream, GROUP)  # as after a Redis that lost its data

    await queue.publish({"n": "1"})

    assert [job.payload for job in await queue.consume(5)] == [{"n": "1"}]


async def test_blocking_consume_wakes_on_publish(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    await queue.ensure_group()
    waiting = asyncio.create_task(queue.consume(5, block_ms=10_000))
    await asyncio.sleep(0.05)

    await queue.publish({"n": "1"})

    async with asyncio.timeout(5):
        jobs = await waiting
    assert [job.payload for job in jobs] == [{"n": "1"}]


async def test_payload_must_be_flat_strings(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    with pytest.raises(ValueError, match="at least one field"):
        await queue.publish({})
    with pytest.raises(TypeError, match="str to str"):
        await queue.publish({"n": 1})  # type: ignore[dict-item]
    assert await server.client.exists(stream) == 0


async def test_failed_job_is_redelivered_after_idle_timeout(
    server: QueueServer, stream: str
) -> None:
    first = make_queue(server, stream, "c1")
    second = make_queue(server, stream, "c2")
    await first.ensure_group()
    await first.publish({"n": "1"})
    [job] = await first.consume(5)

    await first.fail(job, "RuntimeError: smtp down")

    assert await second.consume(5) == []  # not idle long enough yet
    assert await server.client.hget(job_error_key(stream), job.id) == "RuntimeError: smtp down"
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)
    [again] = await second.consume(5)
    assert (again.id, again.payload, again.deliveries) == (job.id, job.payload, 2)

    await second.ack([again.id])
    assert await server.client.hget(job_error_key(stream), job.id) is None


async def test_redelivery_after_consumer_is_killed(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream, "survivor")
    await queue.ensure_group()
    ids = await queue.publish_many([{"n": str(n)} for n in range(3)])
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("consume_and_hang.py")),
        server.url,
        stream,
        GROUP,
        "doomed",
        "10",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert doomed.stdout is not None
        async with asyncio.timeout(15):
            taken = json.loads(await doomed.stdout.readline())
    finally:
        doomed.kill()
        await doomed.wait()
    assert taken == ids
    assert await queue.consume(10) == []  # held by the dead consumer until it idles out

    await wait_idle(server.client, stream, GROUP, IDLE_MS, 3)
    jobs = await queue.consume(10)

    assert [(job.id, job.deliveries) for job in jobs] == [(i, 2) for i in ids]
    assert [job.payload["n"] for job in jobs] == ["0", "1", "2"]
    await queue.ack(ids)
    assert (await queue.stats()).pending == 0


async def test_two_reclaimers_never_get_the_same_job(server: QueueServer, stream: str) -> None:
    crashed = make_queue(server, stream, "crashed")
    await crashed.ensure_group()
    ids = await crashed.publish_many([{"n": str(n)} for n in range(20)])
    assert len(await crashed.consume(20)) == 20
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 20)
    left, right = make_queue(server, stream, "left"), make_queue(server, stream, "right")

    got_left, got_right = await asyncio.gather(left.consume(20), right.consume(20))

    left_ids, right_ids = {j.id for j in got_left}, {j.id for j in got_right}
    assert not left_ids & right_ids
    assert left_ids | right_ids == set(ids)


async def test_job_out_of_deliveries_is_dead_lettered_on_reclaim(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server, stream, max_deliveries=2)
    await queue.ensure_group()
    job_id = await queue.publish({"comment_id": "c-9"})
    for delivery in (1, 2):  # each time the consumer "dies": no ack, no fail
        if delivery > 1:
            await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)
        [job] = await queue.consume(5)
        assert job.deliveries == delivery
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)

    assert await queue.consume(5) == []

    [letter] = await list_deadletters(server.client, deadletter_stream=queue.deadletter_stream)
    assert (letter.stream, letter.group, letter.job_id) == (stream, GROUP, job_id)
    assert letter.deliveries == 2
    assert letter.payload == {"comment_id": "c-9"}
    assert "not acknowledged" in letter.last_error
    stats = await queue.stats()
    assert (stats.length, stats.pending) == (0, 0)


async def test_failing_the_last_delivery_dead_letters_at_once(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server, stream, max_deliveries=1)
    await queue.ensure_group()
    await queue.publish({"comment_id": "c-1"})
    [job] = await queue.consume(5)

    await queue.fail(job, "ValueError: unparseable")

    [letter] = await list_deadletters(server.client, deadletter_stream=queue.deadletter_stream)
    assert (letter.job_id, letter.last_error, letter.deliveries) == (
        job.id,
        "ValueError: unparseable",
        1,
    )
    assert await server.client.exists(job_error_key(stream)) == 0
    assert (await queue.stats()).pending == 0


async def test_pending_job_deleted_from_stream_is_dropped(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    await queue.ensure_group()
    kept, deleted = await queue.publish_many([{"n": "kept"}, {"n": "deleted"}])
    assert len(await queue.consume(5)) == 2
    await server.client.xdel(stream, deleted)  # e.g. trimmed by MAXLEN while pending
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 2)

    jobs = await queue.consume(5)

    assert [job.id for job in jobs] == [kept]
    assert (await queue.stats()).pending == 1


async def test_stats(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream)
    assert await queue.stats() == QueueStats(stream, GROUP, 0, 0, 0, 0)
    await queue.publish_many([{"n": str(n)} for n in range(3)])
    await queue.ensure_group()
    await queue.consume(1)
    await asyncio.sleep(0.01)

    stats = await queue.stats()

    assert (stats.length, stats.pending, stats.lag) == (3, 1, 2)
    assert stats.oldest_pending_age_ms > 0
