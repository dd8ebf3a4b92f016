"""A live consumer loop (heartbeat and all) whose handler takes a batch and never returns.

Usage: python beat_and_hang.py REDIS_URL STREAM GROUP CONSUMER DEAD_AFTER_MS
Prints one JSON line, the ids of the batch in hand, then hangs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Collection

import redis.asyncio as aioredis

from commentsvc.queue.consumer import run_consumer
from commentsvc.queue.entries import Job
from commentsvc.queue.streams import JobQueue


async def main(url: str, stream: str, group: str, consumer: str, dead_after_ms: int) -> None:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    queue = JobQueue(client, stream, group, consumer, dead_after_ms=dead_after_ms)

    async def hang(jobs: list[Job]) -> Collection[str]:
        print(json.dumps([job.id for job in jobs]), flush=True)
        await asyncio.Event().wait()
        return []

    await run_consumer(queue, hang, name="doomed", block_ms=100)


if __name__ == "__main__":
    url, stream, group, consumer, dead_after_ms = sys.argv[1:6]
    asyncio.run(main(url, stream, group, consumer, int(dead_after_ms)))
