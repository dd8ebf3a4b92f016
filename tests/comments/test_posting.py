"""Posting (comments/posting.py): the group commit inserts gathered comments in one
transaction, and a row that fails fails alone (the others commit and are rung)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.store.tables import comments
from tests.support import live_client, make_settings, runtime_of


async def test_a_failing_row_in_a_group_insert_fails_alone(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    async with live_client(make_settings(tmp_path, sqlite_url, redis_url)) as client:
        rt = runtime_of(client)
        await rt.store.sites.update("default", policy={"flood_max": 1000})
        rt.service.forget_site("default")
        real_insert = rt.store.comments.insert_many

        async def flaky(rows: list[dict[str, object]]) -> None:
            if len(rows) > 1 or rows[0]["body"] == "third":
                raise ConnectionResetError("a transient database error")
            await real_insert(rows)

        await client.post("/api/v1/comments", json={"thread": "b", "body": "warm up"})
        rt.store.comments.insert_many = flaky  # type: ignore[method-assign]
        async with rt.store.db._write_lock:  # hold writers so the four gather in one batch
            tasks = [
                asyncio.create_task(
                    client.post("/api/v1/comments", json={"thread": "b", "body": body})
                )
                for body in ("first", "second", "third", "fourth")
            ]
            await asyncio.sleep(0.5)
        answers = await asyncio.gather(*tasks)
        rt.store.comments.insert_many = real_insert  # type: ignore[method-assign]
        assert [r.status for r in answers] == [202, 202, 503, 202]
        async with rt.store.db.read() as conn:
            stored = sorted(r[0] for r in await conn.execute(sa.select(comments.c.body)))
        assert stored == ["first", "fourth", "second", "warm up"]
