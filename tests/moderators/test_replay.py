"""Policy replay ("what if"): it changes nothing, and the worker then does what it said."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commentsvc.comments.automod import AutoModerator
from commentsvc.models import Status
from commentsvc.review.replay import change_of
from commentsvc.store import tables
from tests.moderators.helpers import Client, moderator_token, post
from tests.support import drain, runtime_of
from workers.moderation import build_pipeline

SNAPSHOT = ("comments", "events", "sites", "bans", "threads")


async def _snapshot(client: Client) -> dict[str, list[tuple[Any, ...]]]:
    async with runtime_of(client).store.db.read() as conn:
        out = {}
        for name in SNAPSHOT:
            table = tables.metadata.tables[name]
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            out[name] = [tuple(r) for r in rows]
        return out


async def _seed(client: Client, admin: dict[str, str]) -> dict[str, str]:
    """A site's week: clean comments, three about crypto, one with links, one banned author."""
    resp = await client.post(
        "/api/v1/moderation/bans",
        json={"kind": "email", "value": "spammer@junk.example", "reason": "known"},
        headers=admin,
    )
    assert resp.status == 201
    ids = {}
    for n in range(3):
        ids[f"crypto{n}"] = (
            await post(client, body=f"Great crypto offer number {n}, act now", author_name=f"C{n}")
        )["id"]
    for n in range(4):
        ids[f"clean{n}"] = (await post(client, body=f"A thoughtful reply, part {n}."))["id"]
    ids["links"] = (
        await post(client, body="See https://a.example/x and https://b.example/y for more")
    )["id"]
    ids["banned"] = (await post(client, body="Buy now", author_email="spammer@junk.example"))["id"]
    await drain(client)
    return ids


async def _worker_again(client: Client, comment_ids: list[str]) -> dict[str, Status]:
    """Moderate the same comments again, as the worker does, under the policy now saved."""
    runtime = runtime_of(client)
    async with runtime.store.db.write() as conn:
        await conn.execute(
            sa.update(tables.comments)
            .where(tables.comments.c.id.in_(comment_ids))
            .values(status=Status.RECEIVED.value)
        )
    again = await runtime.store.comments.get_many(comment_ids)
    await AutoModerator(runtime.service, build_pipeline()).moderate(again)
    return {c.id: c.status for c in await runtime.store.comments.get_many(comment_ids)}


async def _replay_then_save(client: Client, admin: dict[str, str], changes: dict[str, Any]) -> None:
    """Replay `changes`, check nothing moved, save them, and check the worker agrees."""
    runtime = runtime_of(client)
    current = await (await client.get("/api/v1/sites/default/policy", headers=admin)).json()
    proposed = {**current, **changes}
    recent = await runtime.store.review.recent("default", _long_ago(), 1000)
    before_status = {i.comment.id: i.comment.status for i in recent}

    before = await _snapshot(client)
    resp = await client.post(
        "/api/v1/sites/default/policy/replay", json={"policy": proposed}, headers=admin
    )
    report = await resp.json()
    assert resp.status == 200, report
    assert await _snapshot(client) == before  # a replay changes nothing
    assert report["comments"] == len(before_status)

    resp = await client.put("/api/v1/sites/default/policy", json=proposed, headers=admin)
    assert resp.status == 200
    after_status = await _worker_again(client, list(before_status))
    counts = dict.fromkeys(report["counts"], 0)
    for comment_id, was in before_status.items():
        change = change_of(was, after_status[comment_id])
        if change:
            counts[change] += 1
    assert counts == report["counts"], (report, before_status, after_status)
    return report


def _long_ago() -> Any:
    from datetime import timedelta

    from commentsvc.clock import now_utc

    return now_utc() - timedelta(days=7)


async def test_a_replay_changes_nothing_and_the_worker_then_agrees(client: Client) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    ids = await _seed(client, admin)
    report = await _replay_then_save(
        client, admin, {"moderation_keys": ["crypto"], "max_links": 5, "ban_action": "reject"}
    )
    assert report["counts"] == {"hold": 3, "release": 1, "reject": 0, "other": 1}
    assert {"change": "hold", "rule": "moderation_key", "count": 3} in report["by_rule"]
    assert {"change": "release", "rule": "links", "count": 1} in report["by_rule"]
    assert {"from": "approved", "to": "pending", "count": 3} in report["moves"]
    held = [e for e in report["examples"] if e["change"] == "hold"]
    assert {e["id"] for e in held} == {ids["crypto0"], ids["crypto1"], ids["crypto2"]}
    example = held[0]
    start, end = example["highlights"][0]["start"], example["highlights"][0]["end"]
    assert example["body"][start:end] == "crypto"
    assert example["was"] == "approved" and example["would_be"] == "pending"
    assert example["reasons"][0]["rule"] == "moderation_key"


async def test_first_time_holds_replay_as_if_the_comments_came_again(client: Client) -> None:
    """hold_first_time: approvals among the replayed comments don't count (nor for the worker)."""
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    for n in range(2):
        await post(client, body=f"Regular reader here, comment {n}.", author_email="r@x.example")
    await post(client, body="Someone new.", author_email="new@x.example")
    await drain(client)
    report = await _replay_then_save(client, admin, {"hold_first_time": True})
    assert report["counts"]["hold"] == 3
    assert report["by_rule"] == [{"change": "hold", "rule": "first_time", "count": 3}]


async def test_replay_is_for_admins_and_validates_like_put(client: Client) -> None:
    moderator = await moderator_token(client, "mod@example.org")
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    url = "/api/v1/sites/default/policy/replay"
    resp = await client.post(url, json={"policy": {}}, headers=moderator)
    assert resp.status == 403
    resp = await client.post(
        url, json={"policy": {"max_links": -1, "nope": 1}, "days": 0}, headers=admin
    )
    problem = await resp.json()
    assert resp.status == 422 and resp.content_type == "application/problem+json"
    assert {e["field"] for e in problem["errors"]} == {"days", "policy.max_links", "policy.nope"}
    other = "/api/v1/sites/nosuch/policy/replay"
    assert (await client.post(other, json={"policy": {}}, headers=admin)).status == 403
    resp = await client.post(url, json={"policy": {}}, headers=admin)
    report = await resp.json()
    assert resp.status == 200 and report["comments"] == 0 and report["changed"] == 0


async def test_a_comment_opens_in_its_thread(client: Client) -> None:
    headers = await moderator_token(client, "threads@example.org")
    top = (await post(client, body="The first word."))["id"]
    await drain(client)
    reply = (await post(client, body="A reply.", parent_id=top))["id"]
    sibling = (await post(client, body="Another reply.", parent_id=top))["id"]
    await drain(client)
    deeper = (await post(client, body="A reply to the reply.", parent_id=reply))["id"]
    await drain(client)
    resp = await client.get(f"/api/v1/moderation/comments/{reply}/thread", headers=headers)
    view = await resp.json()
    assert resp.status == 200, view
    assert [c["id"] for c in view["ancestors"]] == [top]
    assert view["comment"]["id"] == reply and view["comment"]["body"] == "A reply."
    assert [c["id"] for c in view["replies"]] == [deeper]
    assert view["thread"]["key"] == "world/moderated-article" and not view["truncated"]
    resp = await client.get(f"/api/v1/moderation/comments/{top}/thread", headers=headers)
    assert [c["id"] for c in (await resp.json())["replies"]] == [reply, deeper, sibling]
    resp = await client.get("/api/v1/moderation/comments/nope/thread", headers=headers)
    assert resp.status == 404
