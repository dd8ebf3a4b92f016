"""Defects a durability review found, each shown here before it could come back: an edit
inheriting the verdict on its old text, a stale decision overriding another moderator's,
one poison comment holding up its batch, and one bad row failing a group insert."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.auth import Principal, Role
from commentsvc.comments.automod import AutoModerator
from commentsvc.comments.reader_actions import ReaderActions
from commentsvc.errors import Conflict
from commentsvc.models import Status, Verdict
from commentsvc.moderation.pipeline import Pipeline
from commentsvc.moderation.types import Item
from commentsvc.queue.constants import STREAM_DEADLETTER
from commentsvc.queue.streams import Job
from commentsvc.store.tables import comments
from commentsvc.web.keys import DECISIONS
from tests.moderators.helpers import Client, moderator_token, post, post_held
from tests.support import drain, live_client, make_settings, runtime_of
from workers.moderation import build_pipeline, run_moderation

THREE_LINKS = "buy now http://a.example/x http://b.example/y http://c.example/z"


async def test_an_edit_during_moderation_is_moderated_itself(any_client: Client) -> None:
    client = any_client
    rt = runtime_of(client)
    posted = await post(client, body="A perfectly clean comment.")
    real_active = rt.store.bans.active
    edited = []

    async def edit_while_moderating(site: str) -> object:  # the worker reads bans mid-batch
        if not edited:
            edited.append(
                await ReaderActions(rt.service).edit_own(
                    posted["id"], posted["edit_token"], THREE_LINKS
                )
            )
        return await real_active(site)

    rt.store.bans.active = edit_while_moderating  # type: ignore[method-assign]
    try:
        await AutoModerator(rt.service, build_pipeline()).handle(
            [Job("1-1", {"comment_id": posted["id"]}, 1)]
        )
    finally:
        rt.store.bans.active = real_active  # type: ignore[method-assign]
    assert edited
    await drain(client)  # the edit's own doorbell
    comment = await rt.store.comments.get(posted["id"])
    assert comment is not None and comment.body == THREE_LINKS
    assert comment.status is Status.PENDING
    assert "links" in [r.rule for r in comment.reasons]


async def test_a_decision_on_a_stale_view_is_a_409(client: Client) -> None:
    comment_id = await post_held(client)
    app = client.app
    assert app is not None
    decisions = app[DECISIONS]
    seen = await runtime_of(client).store.comments.get(comment_id)  # both moderators see this
    assert seen is not None
    ann = Principal(1, "ann@example.org", Role.ADMIN, ("*",), "token")
    bob = Principal(2, "bob@example.org", Role.ADMIN, ("*",), "token")
    await decisions._apply(ann, seen, "approve", "", None)
    with pytest.raises(Conflict) as refused:
        await decisions._apply(bob, seen, "reject", "", None)
    assert "approved" in refused.value.detail and "ann@example.org" in refused.value.detail
    now = await runtime_of(client).store.comments.get(comment_id)
    assert now is not None and now.status is Status.APPROVED
    events = await runtime_of(client).store.comments.events(comment_id)
    assert [e.action for e in events][-1] == "approve"


class PoisonPipeline(Pipeline):
    """A stage that blows up on one particular text."""

    def run(self, items: Sequence[Item]) -> list[Verdict]:
        if any("POISON" in i.body for i in items):
            raise ValueError("a stage failed on this text")
        return super().run(items)


async def test_one_poison_comment_neither_holds_up_its_batch_nor_loops(
    client: Client, redis: aioredis.Redis
) -> None:
    rt = runtime_of(client)
    bodies = ["POISON here", *(f"An innocent comment, number {i}." for i in range(3))]
    posted = await asyncio.gather(*(post(client, body=b) for b in bodies))
    pipeline = PoisonPipeline(build_pipeline().stages)
    await run_moderation(rt, burst=True, pipeline=pipeline)
    statuses = [(await rt.store.comments.get(p["id"])) for p in posted]
    assert [c.status if c else None for c in statuses] == [
        Status.PENDING,
        Status.APPROVED,
        Status.APPROVED,
        Status.APPROVED,
    ]
    poison = statuses[0]
    assert poison is not None and [r.rule for r in poison.reasons] == ["moderation_error"]
    assert await redis.xlen(STREAM_DEADLETTER) == 0


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


async def test_a_stale_bulk_decision_is_a_409_per_comment(client: Client) -> None:
    ann = await moderator_token(client, "ann@example.org")
    bob = await moderator_token(client, "bob@example.org")
    first, second = await post_held(client), await post_held(client)
    queue = await (await client.get("/api/v1/moderation/comments", headers=bob)).json()
    seen = {i["id"]: i["version"] for i in queue["items"]}  # what bob's page shows
    resp = await client.post(
        f"/api/v1/moderation/comments/{first}/decision", json={"action": "approve"}, headers=ann
    )
    assert resp.status == 200
    resp = await client.post(
        "/api/v1/moderation/decisions",
        json={"ids": [first, second], "action": "spam", "versions": seen},
        headers=bob,
    )
    results = (await resp.json())["results"]
    assert results[second] == "ok"
    assert results[first]["status"] == 409 and "approved" in results[first]["detail"]
    store = runtime_of(client).store
    kept = await store.comments.get(first)
    assert kept is not None and kept.status is Status.APPROVED
    bad = await client.post(
        "/api/v1/moderation/decisions",
        json={"ids": [first], "action": "spam", "versions": {"someone-else": 1}},
        headers=bob,
    )
    assert bad.status == 422
