"""Dead letters: jobs that failed too often, kept in one stream to be read and replayed.

A dead letter is an entry of `constants.STREAM_DEADLETTER` whose fields say
where the job came from (`stream`, `group`, `job_id`), how it died
(`deliveries`, `last_error`, `dead_at`, ISO 8601 UTC) and carry the original
payload with each field name prefixed `p.`. `JobQueue` writes them; the
`commentsvc deadletters list|replay` commands read them through this module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from commentsvc.queue.constants import (
    DEADLETTER_PAYLOAD_PREFIX,
    STREAM_DEADLETTER,
    STREAM_MAXLEN,
)

log = logging.getLogger(__name__)

_REPLAY_PAGE = 100


@dataclass(frozen=True)
class DeadLetter:
    """One dead job, as stored in the dead-letter stream."""

    id: str  # entry id in the dead-letter stream
    stream: str  # the stream the job came from, and goes back to on replay
    group: str
    job_id: str  # the job's entry id in its own stream
    deliveries: int
    last_error: str
    dead_at: datetime | None
    payload: dict[str, str]


def deadletter_fields(
    *,
    stream: str,
    group: str,
    job_id: str,
    deliveries: int,
    last_error: str,
    payload: Mapping[str, str],
    dead_at: datetime | None = None,
) -> dict[str, str]:
    """Encode a dead job as the flat fields of a dead-letter stream entry."""
    when = dead_at or datetime.now(UTC)
    fields = {
        "stream": stream,
        "group": group,
        "job_id": job_id,
        "deliveries": str(deliveries),
        "last_error": last_error,
        "dead_at": when.isoformat(timespec="milliseconds"),
    }
    fields.update({DEADLETTER_PAYLOAD_PREFIX + key: value for key, value in payload.items()})
    return fields


def parse_deadletter(entry_id: str, fields: Mapping[str, str]) -> DeadLetter | None:
    """Decode a dead-letter stream entry; None when it is not one of ours."""
    stream = fields.get("stream")
    if not stream:
        return None
    try:
        deliveries = int(fields.get("deliveries", "0"))
    except ValueError:
        deliveries = 0
    try:
        dead_at: datetime | None = datetime.fromisoformat(fields["dead_at"])
    except (KeyError, ValueError):
        dead_at = None
    prefix_len = len(DEADLETTER_PAYLOAD_PREFIX)
    return DeadLetter(
        id=entry_id,
        stream=stream,
        group=fields.get("group", ""),
        job_id=fields.get("job_id", ""),
        deliveries=deliveries,
        last_error=fields.get("last_error", ""),
        dead_at=dead_at,
        payload={
            key[prefix_len:]: value
            for key, value in fields.items()
            if key.startswith(DEADLETTER_PAYLOAD_PREFIX)
        },
    )


def _parse_entries(entries: Sequence[Any]) -> list[DeadLetter]:
    letters = []
    for entry_id, fields in entries:
        letter = parse_deadletter(entry_id, fields)
        if letter is None:
            log.warning("dead-letter entry %s has no source stream; ignored", entry_id)
            continue
        letters.append(letter)
    return letters


async def list_deadletters(
    redis: aioredis.Redis, count: int = 100, *, deadletter_stream: str = STREAM_DEADLETTER
) -> list[DeadLetter]:
    """Return up to `count` dead letters, oldest first."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    entries: Any = await redis.xrange(deadletter_stream, "-", "+", count=count)
    return _parse_entries(entries)


async def replay_deadletters(
    redis: aioredis.Redis,
    ids: Sequence[str] | None = None,
    *,
    deadletter_stream: str = STREAM_DEADLETTER,
    maxlen: int = STREAM_MAXLEN,
) -> int:
    """Put dead jobs back on their streams as new jobs; return how many were replayed.

    `ids` are dead-letter entry ids (`DeadLetter.id`); None replays every dead
    letter present when the call starts (ones that die again meanwhile wait for
    the next replay). Unknown ids are skipped. Each job is re-added before its
    dead letter is deleted, so an interrupted replay may repeat a job, never
    lose one.
    """
    if ids is not None:
        return await _replay_ids(redis, list(ids), deadletter_stream, maxlen)
    newest: Any = await redis.xrevrange(deadletter_stream, "+", "-", count=1)
    if not newest:
        return 0
    last_id: str = newest[0][0]
    replayed = 0
    start = "-"
    while True:
        entries: Any = await redis.xrange(deadletter_stream, start, last_id, count=_REPLAY_PAGE)
        if not entries:
            return replayed
        replayed += await _replay(redis, _parse_entries(entries), deadletter_stream, maxlen)
        if len(entries) < _REPLAY_PAGE:
            return replayed
        start = "(" + entries[-1][0]


async def _replay_ids(
    redis: aioredis.Redis, ids: list[str], deadletter_stream: str, maxlen: int
) -> int:
    if not ids:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for entry_id in ids:
            pipe.xrange(deadletter_stream, entry_id, entry_id, count=1)
        found = await pipe.execute()
    entries = [rows[0] for rows in found if rows]
    return await _replay(redis, _parse_entries(entries), deadletter_stream, maxlen)


async def _replay(
    redis: aioredis.Redis, letters: list[DeadLetter], deadletter_stream: str, maxlen: int
) -> int:
    replayable = []
    for letter in letters:
        if letter.payload:
            replayable.append(letter)
        else:
            log.warning("dead letter %s has an empty payload; not replayed", letter.id)
    if not replayable:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for letter in replayable:
            fields = cast("dict[FieldT, EncodableT]", dict(letter.payload))
            pipe.xadd(letter.stream, fields, maxlen=maxlen, approximate=True)
            pipe.xdel(deadletter_stream, letter.id)
        await pipe.execute()
    for letter in replayable:
        log.info("replayed dead letter %s (job %s) to %s", letter.id, letter.job_id, letter.stream)
    return len(replayable)
