"""The notifier as real processes: killed mid-batch it loses nothing and repeats nothing;
inside `serve` it sends without being asked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from commentsvc.store import Store
from tests.notify.conftest import GENEROUS_LIMITS, SMTPServer, subscriber
from tests.processes import service_env
from tests.support import drain, live_client, make_settings, runtime_of
from tests.web.helpers import post
from workers.background import all_workers

READERS = 30
COMMENTS = 3


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.01)
    return False


def notifier(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "commentsvc", "worker", "notify", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_killed_notifier_delivers_everything_once_after_restart(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis, smtp: SMTPServer
) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS
    )
    readers = [f"reader{i}@example.org" for i in range(READERS)]
    async with live_client(settings) as client:
        runtime = runtime_of(client)
        await runtime.store.sites.update(
            "default", policy={"flood_max": 10_000, "digest_window_s": 0}
        )
        runtime.service.forget_site("default")
        for reader in readers:
            await subscriber(runtime.store, reader)
        for i in range(COMMENTS):
            await post(client, body=f"Comment number {i}.", author_email=f"writer{i}@example.org")
        await drain(client)  # approved: the notify jobs wait in the stream
    env = service_env(
        tmp_path,
        COMMENTSVC_DATABASE_URL=sqlite_url,
        COMMENTSVC_REDIS_URL=redis_url,
        COMMENTSVC_SMTP_URL=smtp.url,
        COMMENTSVC_QUEUE_IDLE_TIMEOUT_MS="500",
    )
    store = Store.from_url(sqlite_url)
    smtp.pause_after = 25  # then the server stops answering DATA: sends stay in flight
    log = tmp_path / "notifier.log"
    first = notifier(env, log)
    try:

        async def paused_mid_batch() -> bool:
            if not smtp.paused or smtp.waiting == 0:
                return False
            # every email the server accepted is recorded as sent: none is between "250" and commit
            return (await store.deliveries.counts()).get("sent", 0) == len(smtp.messages)

        assert await wait_until(paused_mid_batch, 30), log.read_text()[-3000:]
        at_kill = await store.deliveries.counts()
        assert at_kill["queued"] == READERS * COMMENTS - at_kill["sent"] > 0
        first.kill()  # SIGKILL: no chance to finish, record or close anything
        first.wait()

        async def server_dropped_them() -> bool:  # the dead client's unanswered emails are void
            return smtp.waiting == 0

        assert await wait_until(server_dropped_them, 10)
        smtp.pause_after = None
        smtp.paused = False
        await asyncio.sleep(0.6)  # past the lease the dead process held its claimed rows under
        second = notifier(env, log, "--burst")
        assert second.wait(timeout=120) == 0, log.read_text()[-3000:]
        per_email = Counter((m.rcpt_tos[0], m.message["Message-ID"]) for m in smtp.messages)
        assert len(per_email) == READERS * COMMENTS, "every pending email was delivered"
        assert set(per_email.values()) == {1}, "nobody got the same comment twice"
        assert all(len(smtp.to(reader)) == COMMENTS for reader in readers)
        assert await store.deliveries.counts() == {"sent": READERS * COMMENTS}
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        await store.close()


async def test_serve_sends_mail_without_being_asked(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis, smtp: SMTPServer
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_SMTP_URL=smtp.url,
    )
    async with live_client(settings, background=all_workers()) as client:
        runtime = runtime_of(client)
        await runtime.store.sites.update(
            "default", policy={"flood_max": 10_000, "digest_window_s": 0}
        )
        runtime.service.forget_site("default")
        resp = await client.post(
            "/api/v1/subscriptions", json={"thread": "live/article", "email": "live@example.org"}
        )
        assert resp.status == 202

        async def arrived(n: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return len(smtp.to("live@example.org")) >= n

            return check

        assert await wait_until(await arrived(1), 15), "the confirmation did not arrive"
        assert (await client.post(smtp.to("live@example.org")[0].link("s"))).status == 200
        posted: dict[str, Any] = await post(
            client, thread="live/article", body="Sent by the running service."
        )
        assert await wait_until(await arrived(2), 15), "the notification did not arrive"
        assert "Sent by the running service." in smtp.to("live@example.org")[1].text()
        comment = await runtime.store.comments.get(posted["id"])
        assert comment is not None and comment.notified_at is not None
