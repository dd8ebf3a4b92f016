"""Nothing a reader submitted is lost: Redis outages, killed workers, redelivery."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.models import Status
from commentsvc.queue.constants import STREAM_MODERATE
from commentsvc.store import Store
from commentsvc.store.tables import comments, events
from tests.processes import service_env
from tests.servers import RedisProcess
from tests.support import drain, live_client, make_settings, runtime_of
from workers.background import all_workers, task_context
from workers.sweeper import Sweeper

FINAL = {Status.APPROVED.value, Status.PENDING.value, Status.SPAM.value, Status.REJECTED.value}


async def wait_until(predicate, timeout_s: float, interval_s: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(interval_s)
    return False


async def statuses(store: Store) -> Counter[str]:
    async with store.db.read() as conn:
        rows = await conn.execute(
            sa.select(comments.c.status, sa.func.count()).group_by(comments.c.status)
        )
        return Counter({str(status): int(n) for status, n in rows.all()})


async def test_comments_posted_while_redis_is_down_are_moderated_after(
    tmp_path: Path, sqlite_url: str
) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    settings = make_settings(
        tmp_path,
        sqlite_url,
        server.url,
        COMMENTSVC_SWEEP_AFTER_S="0.5",
        COMMENTSVC_SWEEP_INTERVAL_S="0.2",
    )
    try:
        async with live_client(settings, background=all_workers()) as client:
            store = runtime_of(client).store
            await store.sites.update("default", policy={"flood_max": 1000})
            runtime_of(client).service.forget_site("default")
            server.stop()
            ids = []
            for i in range(8):
                resp = await client.post(
                    "/api/v1/comments",
                    json={"thread": "outage", "body": f"posted during the outage {i}"},
                )
                assert resp.status == 202, await resp.text()
                ids.append((await resp.json())["id"])
            assert (await statuses(store))[Status.RECEIVED.value] == 8
            ready = await client.get("/readyz")
            assert ready.status == 503 and (await ready.json())["down"] == ["redis"]
            server.start()
            assert await wait_until(lambda: _all_final(store, ids), timeout_s=30), await statuses(
                store
            )
            resp = await client.get("/api/v1/comments", params={"thread": "outage", "limit": "100"})
            assert len((await resp.json())["comments"]) == 8
    finally:
        server.stop()


async def _all_final(store: Store, ids: list[str]) -> bool:
    found = await store.comments.get_many(ids)
    return len(found) == len(ids) and all(c.status.value in FINAL for c in found)


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

        assert await wait_until(some_done, timeout_s=30, interval_s=0.005), (
            "worker made no progress"
        )
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


def _log_lines(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and text in r.getMessage()]


async def test_while_redis_is_down_posts_skip_it_and_are_decided_once_it_is_back(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = RedisProcess(tmp_path / "redis")
    server.start()
    settings = make_settings(  # the sweeper would not ring for an hour
        tmp_path,
        sqlite_url,
        server.url,
        COMMENTSVC_SWEEP_AFTER_S="3600",
        COMMENTSVC_SWEEP_INTERVAL_S="3600",
    )
    try:
        async with live_client(settings, background=all_workers()) as client:
            runtime = runtime_of(client)
            guard, store = runtime.guard, runtime.store
            await store.sites.update("default", policy={"flood_max": 1000})
            runtime.service.forget_site("default")
            server.stop()
            ids = []
            for i in range(8):
                before = guard.failed_fast
                resp = await client.post(
                    "/api/v1/comments", json={"thread": "outage", "body": f"while down {i}"}
                )
                assert resp.status == 202, await resp.text()
                ids.append((await resp.json())["id"])
                assert guard.down
                if i > 0:  # the first post found the outage; the others never asked Redis
                    assert guard.failed_fast > before
            assert guard.outages == 1
            assert (await statuses(store))[Status.RECEIVED.value] == 8

            server.start()
            assert await wait_until(lambda: _all_final(store, ids), timeout_s=30), await statuses(
                store
            )
    finally:
        server.stop()
    assert len(_log_lines(caplog, "commentsvc.queue.redisguard", "unreachable")) == 1
    assert len(_log_lines(caplog, "commentsvc.queue.redisguard", "reachable again")) == 1
    assert not _log_lines(caplog, "commentsvc.queue.doorbell", "sweeper will re-enqueue")
    per_logger = Counter(r.name for r in caplog.records if r.levelno >= logging.WARNING)
    assert per_logger["commentsvc.queue.consumer"] <= 2, "one line per consumer at the start"


async def test_doorbells_redis_lost_are_rung_as_soon_as_it_is_back(
    tmp_path: Path, sqlite_url: str
) -> None:
    server = RedisProcess(tmp_path / "redis", appendonly=False)  # loses its data on restart
    server.start()
    settings = make_settings(
        tmp_path,
        sqlite_url,
        server.url,
        COMMENTSVC_SWEEP_AFTER_S="3600",
        COMMENTSVC_SWEEP_INTERVAL_S="3600",
    )
    sweeper = task_context("sweeper", lambda rt, stop: Sweeper(rt).run(stop))
    try:
        async with live_client(settings, background=[sweeper]) as client:
            runtime = runtime_of(client)
            before = await client.post("/api/v1/comments", json={"thread": "t", "body": "rung"})
            assert before.status == 202  # its doorbell is in Redis: no worker runs yet
            server.stop()
            during = await client.post("/api/v1/comments", json={"thread": "t", "body": "held"})
            assert during.status == 202
            assert runtime.guard.down
            server.start()  # empty: the first doorbell is gone
            want = {(await before.json())["id"], (await during.json())["id"]}

            async def both_rung() -> bool:
                if runtime.guard.down:
                    return False
                entries = await runtime.redis.xrange(STREAM_MODERATE)
                return want <= {fields["comment_id"] for _, fields in entries}

            assert await wait_until(both_rung, timeout_s=30)
            await drain(client)
            assert await _all_final(runtime.store, sorted(want))
    finally:
        server.stop()
