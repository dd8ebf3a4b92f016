"""A consumer that reads one batch, reports the job ids, and hangs until killed.

Usage: python consume_and_hang.py REDIS_URL STREAM GROUP CONSUMER COUNT
Prints one JSON line: the ids it received. It never acks them.
"""

from __future__ import annotations

import asyncio
import json
import sys

import redis.asyncio as aioredis

from commentsvc.queue.streams import JobQueue


async def main(url: str, stream: str, group: str, consumer: str, count: int) -> None:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    queue = JobQueue(client, stream, group, consumer)
    await queue.ensure_group()
    jobs = await queue.consume(count, block_ms=5000)
    print(json.dumps([job.id for job in jobs]), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    url, stream, group, consumer, count = sys.argv[1:6]
    asyncio.run(main(url, stream, group, consumer, int(count)))
