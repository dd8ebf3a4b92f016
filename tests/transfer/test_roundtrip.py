"""Export, then import into an empty instance: the same public bytes for every thread, the
same moderation queue, the same rows; and nobody is mailed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.config import Settings
from commentsvc.store.tables import comments, deliveries, events, subscriptions, threads, votes
from tests.notify.conftest import GENEROUS_LIMITS, NO_WAIT, SMTPServer, subscriber
from tests.support import drain, live_client, make_settings, runtime_of
from tests.transfer.conftest import Client, run_export, run_import
from tests.transfer.test_formats import wpdiscuz_wxr
from workers.notifier import run_notifier
from workers.sweeper import Sweeper

SORTS = ("newest", "oldest", "top")


async def _state(client: Client) -> dict[str, Any]:
    store = runtime_of(client).store
    async with store.db.read() as conn:
        keys = [r[0] for r in await conn.execute(sa.select(threads.c.key).order_by(threads.c.key))]
        rows = [
            {k: v for k, v in r.items() if k not in ("thread_id", "notified_at")}
            for r in (await conn.execute(sa.select(comments).order_by(comments.c.id))).mappings()
        ]
        trail = [
            tuple(r)
            for r in await conn.execute(
                sa.select(
                    events.c.comment_id,
                    events.c.action,
                    events.c.to_status,
                    events.c.note,
                    events.c.at,
                ).order_by(events.c.comment_id, events.c.id)
            )
        ]
        vote_rows = [tuple(r) for r in await conn.execute(sa.select(votes).order_by(votes.c.voter))]
        subs = [
            tuple(r)
            for r in await conn.execute(
                sa.select(
                    subscriptions.c.email, subscriptions.c.kind, subscriptions.c.confirmed_at
                ).order_by(subscriptions.c.email)
            )
        ]
    pages = {}
    for key in keys:
        for sort in SORTS:
            resp = await client.get(
                "/api/v1/comments", params={"thread": key, "sort": sort, "limit": "2"}
            )
            assert resp.status == 200
            pages[(key, sort)] = await resp.read()
            body = orjson.loads(pages[(key, sort)])
            if body["next_cursor"]:
                resp = await client.get(
                    "/api/v1/comments",
                    params={
                        "thread": key,
                        "sort": sort,
                        "limit": "2",
                        "cursor": body["next_cursor"],
                    },
                )
                pages[(key, sort, "2")] = await resp.read()
    queue = [(r["id"], r["status"]) for r in rows if r["status"] in ("pending", "spam", "received")]
    return {
        "keys": keys,
        "pages": pages,
        "rows": rows,
        "events": trail,
        "votes": vote_rows,
        "subs": subs,
        "queue": queue,
    }


async def test_export_then_import_gives_the_same_threads(
    client: Client,
    settings: Settings,
    tmp_path: Path,
    redis_url: str,
    redis: aioredis.Redis,
    smtp: SMTPServer,
) -> None:
    code, _, err = await run_import(settings, "wordpress", str(wpdiscuz_wxr(tmp_path / "wp.xml")))
    assert code == 0, err
    # Rows made by the service itself: a posted comment, a vote, a subscription, a closed thread.
    resp = await client.post(
        "/api/v1/comments", json={"thread": "2024/03/budget", "body": "Native comment."}
    )
    posted = await resp.json()
    await drain(client)
    resp = await client.post(
        f"/api/v1/comments/{posted['id']}/votes", json={"value": 1, "voter": "voter-123456"}
    )
    assert resp.status in (200, 202), await resp.text()
    runtime = runtime_of(client)
    await subscriber(runtime.store, "watcher@example.org", "2024/03/river-levels")
    await runtime.service.set_thread_closed("default", "2024/03/budget", True)
    before = await _state(client)
    assert len(before["keys"]) == 2 and before["queue"] and before["votes"]

    export = tmp_path / "export.jsonl"
    assert await run_export(settings, export) == 0
    lines = [orjson.loads(x) for x in export.read_bytes().splitlines()]
    assert lines[0]["type"] == "commentsvc-export" and lines[0]["version"] == 1
    assert lines[-1]["type"] == "end"
    assert {x["type"] for x in lines} >= {
        "site",
        "thread",
        "comment",
        "event",
        "vote",
        "subscription",
    }

    empty = make_settings(
        tmp_path / "b",
        f"sqlite+aiosqlite:///{tmp_path}/b.sqlite3",
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_SMTP_URL=smtp.url,
    )
    await redis.flushdb()
    async with live_client(empty) as other:
        code, summary, err = await run_import(empty, "commentsvc", str(export))
        assert code == 0, err
        code, again, err = await run_import(empty, "commentsvc", str(export))
        assert code == 0 and again["inserted"] == 0, err
        after = await _state(other)
        for _ in range(2):
            await Sweeper(runtime_of(other), notify=True).sweep_once()
            await drain(other)
            await run_notifier(runtime_of(other), burst=True, retry_schedule_s=NO_WAIT)
        async with runtime_of(other).store.db.read() as conn:
            assert (await conn.execute(sa.select(deliveries))).all() == []
    assert summary["inserted"] == len(before["rows"])
    assert after["pages"] == before["pages"]  # byte for byte
    assert after["queue"] == before["queue"]
    assert after["rows"] == before["rows"]
    assert after["events"] == before["events"]
    assert after["votes"] == before["votes"]
    assert after["subs"] == before["subs"]
    assert smtp.messages == []


async def test_export_one_thread_and_bad_options(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    await run_import(settings, "wordpress", str(wpdiscuz_wxr(tmp_path / "wp.xml")))
    out = tmp_path / "one.jsonl"
    assert await run_export(settings, out, "--site", "default", "--thread", "2024/03/budget") == 0
    kinds = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert [k["key"] for k in kinds if k["type"] == "thread"] == ["2024/03/budget"]
    assert await run_export(settings, out, "--thread", "x") == 2
    assert await run_export(settings, out, "--site", "nope") == 1
