"""Doorbells while Redis is down: held (up to a cap) and rung as soon as it is back."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path

import pytest

from commentsvc.models import Status
from commentsvc.queue.constants import STREAM_MODERATE
from commentsvc.queue.doorbell import Doorbell
from commentsvc.queue.streams import JobQueue
from commentsvc.runtime import redis_client, redis_guard
from tests.queue.helpers import all_final, statuses, wait_until
from tests.servers import RedisProcess
from tests.support import drain, live_client, make_settings, runtime_of
from workers.background import all_workers, task_context
from workers.sweeper import Sweeper


async def test_rings_held_while_down_are_rung_once_it_is_back(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    guard, probe = redis_guard(server.url)
    client = redis_client(server.url, guard)
    queue = JobQueue(client, "test:bell", "g", "c1", guard=guard)
    bell = Doorbell(queue, max_held=3)
    try:
        await bell.ring([{"comment_id": "a"}])
        server.stop()
        await bell.ring([{"comment_id": "b"}])  # finds the outage
        await bell.ring([{"comment_id": "c"}, {"comment_id": "d"}])
        await bell.ring([{"comment_id": "e"}])  # beyond the cap: the sweeper's
        assert guard.down
        assert (bell.held, bell.dropped) == (3, 1)

        server.start()

        async def rung() -> bool:
            return bell.held == 0 and not guard.down

        await wait_until(rung, timeout_s=10)
        entries = await client.xrange("test:bell")
        assert [fields["comment_id"] for _, fields in entries] == ["a", "b", "c", "d"]
    finally:
        await guard.close()
        await client.aclose()
        await probe.aclose()
        server.stop()


async def test_without_a_guard_a_failed_ring_is_left_to_the_sweeper(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    client = redis_client(server.url)
    bell = Doorbell(JobQueue(client, "test:bell", "g", "c1"))
    try:
        server.stop()
        async with asyncio.timeout(10):
            await bell.ring([{"comment_id": "a"}])
        assert bell.held == 0
    finally:
        await client.aclose()
        server.stop()


def _log_lines(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and text in r.getMessage()]


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
            assert await wait_until(lambda: all_final(store, ids), timeout_s=30), await statuses(
                store
            )
            resp = await client.get("/api/v1/comments", params={"thread": "outage", "limit": "100"})
            assert len((await resp.json())["comments"]) == 8
    finally:
        server.stop()


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
            assert await wait_until(lambda: all_final(store, ids), timeout_s=30), await statuses(
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
            assert await all_final(runtime.store, sorted(want))
    finally:
        server.stop()
