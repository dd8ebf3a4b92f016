"""Dead letters: a job that keeps failing is set aside with its error, and can be replayed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from commentsvc.queue.consumer import run_consumer
from commentsvc.queue.deadletters import (
    deadletter_fields,
    list_deadletters,
    parse_deadletter,
    replay_deadletters,
)
from commentsvc.queue.entries import Job
from commentsvc.queue.streams import JobQueue
from tests.queue.helpers import QueueServer, wait_idle

GROUP = "workers"
IDLE_MS = 150


def make_queue(server: QueueServer, stream: str, max_deliveries: int) -> JobQueue:
    return JobQueue(
        server.client,
        stream,
        GROUP,
        "c1",
        idle_timeout_ms=IDLE_MS,
        max_deliveries=max_deliveries,
        deadletter_stream=f"{stream}:dead",
    )


async def always_fail(jobs: list[Job]) -> Collection[str]:
    raise ValueError(f"cannot moderate {jobs[0].payload['comment_id']}")


async def test_job_is_dead_lettered_after_max_deliveries_and_replayed(
    server: QueueServer, stream: str
) -> None:
    queue = make_queue(server, stream, max_deliveries=2)
    job_id = await queue.publish({"comment_id": "c-42", "site": "default"})
    dead = queue.deadletter_stream

    assert await run_consumer(queue, always_fail, name="t", burst=True) == 0
    assert await list_deadletters(server.client, deadletter_stream=dead) == []
    await wait_idle(server.client, stream, GROUP, IDLE_MS, 1)
    assert await run_consumer(queue, always_fail, name="t", burst=True) == 0

    [letter] = await list_deadletters(server.client, deadletter_stream=dead)
    assert (letter.stream, letter.group, letter.job_id) == (stream, GROUP, job_id)
    assert letter.deliveries == 2
    assert letter.last_error == "ValueError: cannot moderate c-42"
    assert letter.payload == {"comment_id": "c-42", "site": "default"}
    assert letter.dead_at is not None
    assert datetime.now(UTC) - letter.dead_at < timedelta(minutes=1)
    assert (await queue.stats()).length == 0

    assert await replay_deadletters(server.client, deadletter_stream=dead) == 1

    assert await list_deadletters(server.client, deadletter_stream=dead) == []
    seen: list[Job] = []

    async def succeed(jobs: list[Job]) -> Collection[str]:
        seen.extend(jobs)
        return [job.id for job in jobs]

    assert await run_consumer(queue, succeed, name="t", burst=True) == 1
    assert [(job.payload, job.deliveries) for job in seen] == [
        ({"comment_id": "c-42", "site": "default"}, 1)
    ]


async def test_replay_selected_ids_only(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream, max_deliveries=1)
    await queue.publish_many([{"comment_id": f"c-{n}"} for n in range(3)])
    await run_consumer(queue, always_fail, name="t", burst=True, batch_size=1)
    letters = await list_deadletters(server.client, deadletter_stream=queue.deadletter_stream)
    assert [letter.payload["comment_id"] for letter in letters] == ["c-0", "c-1", "c-2"]

    replayed = await replay_deadletters(
        server.client, [letters[1].id, "1-1"], deadletter_stream=queue.deadletter_stream
    )

    assert replayed == 1
    left = await list_deadletters(server.client, deadletter_stream=queue.deadletter_stream)
    assert [letter.id for letter in left] == [letters[0].id, letters[2].id]
    [job] = await queue.consume(5)
    assert job.payload == {"comment_id": "c-1"}


async def test_list_is_oldest_first_and_limited(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream, max_deliveries=1)
    await queue.publish_many([{"comment_id": f"c-{n}"} for n in range(5)])
    await run_consumer(queue, always_fail, name="t", burst=True, batch_size=1)

    letters = await list_deadletters(server.client, 3, deadletter_stream=queue.deadletter_stream)

    assert [letter.payload["comment_id"] for letter in letters] == ["c-0", "c-1", "c-2"]


async def test_replay_all_pages_through_many(server: QueueServer, stream: str) -> None:
    queue = make_queue(server, stream, max_deliveries=1)
    await queue.publish_many([{"comment_id": f"c-{n}"} for n in range(250)])
    await run_consumer(queue, always_fail, name="t", burst=True, batch_size=1)

    replayed = await replay_deadletters(server.client, deadletter_stream=queue.deadletter_stream)

    assert replayed == 250
    assert await server.client.xlen(queue.deadletter_stream) == 0
    assert (await queue.stats()).lag == 250


async def test_entries_that_are_not_dead_letters_are_left_alone(
    server: QueueServer, stream: str
) -> None:
    dead = f"{stream}:dead"
    await server.client.xadd(dead, {"hello": "world"})

    assert await list_deadletters(server.client, deadletter_stream=dead) == []
    assert await replay_deadletters(server.client, deadletter_stream=dead) == 0
    assert await server.client.xlen(dead) == 1


def test_fields_round_trip() -> None:
    payload = {"comment_id": "c-1", "p.tricky": "kept", "stream": "payload's own"}
    fields = deadletter_fields(
        stream="s", group="g", job_id="1-0", deliveries=5, last_error="boom", payload=payload
    )

    letter = parse_deadletter("9-0", fields)

    assert letter is not None
    assert (letter.id, letter.stream, letter.group, letter.job_id) == ("9-0", "s", "g", "1-0")
    assert (letter.deliveries, letter.last_error) == (5, "boom")
    assert letter.payload == payload
