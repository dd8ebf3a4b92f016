"""Decisions: approve/reject/spam/delete/restore, single and bulk, edits, the audit trail."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientResponse

from commentsvc.auth import Principal, Role
from commentsvc.errors import Conflict
from commentsvc.models import Status
from commentsvc.queue.constants import STREAM_NOTIFY
from commentsvc.web.keys import DECISIONS
from tests.moderators.helpers import (
    Client,
    moderator_token,
    post_held,
    public_ids,
)
from tests.support import runtime_of
from tests.web.helpers import expect_problem


async def _decide(
    client: Client, headers: dict[str, str], comment_id: str, action: str, **extra: object
) -> tuple[int, dict[str, object]]:
    resp = await client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": action, **extra},
        headers=headers,
    )
    return resp.status, await resp.json()


async def _events(
    client: Client, headers: dict[str, str], comment_id: str
) -> list[dict[str, object]]:
    resp = await client.get(f"/api/v1/moderation/comments/{comment_id}/events", headers=headers)
    assert resp.status == 200
    return (await resp.json())["events"]  # type: ignore[no-any-return]


async def test_two_moderators_approving_at_once_publish_once(any_client: Client) -> None:
    """Acceptance 3, on SQLite and PostgreSQL."""
    client = any_client
    redis = runtime_of(client).redis
    comment_id = await post_held(client)
    assert comment_id not in await public_ids(client)
    assert await redis.xlen(STREAM_NOTIFY) == 0
    ann = await moderator_token(client, "ann@example.org")
    bob = await moderator_token(client, "bob@example.org")

    results = await asyncio.gather(
        _decide(client, ann, comment_id, "approve"),
        _decide(client, bob, comment_id, "approve"),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    assert winner["status"] == "approved"
    assert "already approved" in str(loser["detail"])

    assert comment_id in await public_ids(client)
    events = await _events(client, ann, comment_id)
    approvals = [e for e in events if e["action"] == "approve"]
    assert len(approvals) == 1
    assert approvals[0]["from_status"] == "pending" and approvals[0]["to_status"] == "approved"
    assert approvals[0]["actor"] == winner["decided_by"]
    assert await redis.xlen(STREAM_NOTIFY) == 1
    entries = await redis.xrange(STREAM_NOTIFY)
    assert entries[0][1] == {"comment_id": comment_id}


async def test_many_concurrent_approvals_of_many_comments(any_client: Client) -> None:
    client = any_client
    ids = [await post_held(client) for _ in range(4)]
    headers = [await moderator_token(client, f"m{n}@example.org") for n in range(3)]
    calls = [_decide(client, h, cid, "approve") for cid in ids for h in headers]
    results = await asyncio.gather(*calls)
    assert sum(1 for status, _ in results if status == 200) == len(ids)
    assert sum(1 for status, _ in results if status == 409) == len(ids) * (len(headers) - 1)
    assert await runtime_of(client).redis.xlen(STREAM_NOTIFY) == len(ids)
    assert set(ids) <= await public_ids(client)


async def test_approving_again_after_a_flag_round_trip_does_not_notify_twice(
    client: Client,
) -> None:
    headers = await moderator_token(client, "again@example.org")
    comment_id = await post_held(client)
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    assert (await _decide(client, headers, comment_id, "reject"))[0] == 200
    assert comment_id not in await public_ids(client)
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    assert comment_id in await public_ids(client)
    assert await runtime_of(client).redis.xlen(STREAM_NOTIFY) == 1


async def test_a_stale_version_is_a_conflict(client: Client) -> None:
    headers = await moderator_token(client, "stale@example.org")
    comment_id = await post_held(client)
    resp = await client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers)
    seen = await resp.json()
    assert (await _decide(client, headers, comment_id, "spam"))[0] == 200
    status, body = await _decide(client, headers, comment_id, "approve", version=seen["version"])
    assert status == 409
    assert "changed since you loaded it" in str(body["detail"])
    status, body = await _decide(
        client, headers, comment_id, "approve", version=seen["version"] + 1
    )
    assert status == 200 and body["status"] == "approved"


async def test_actions_follow_the_documented_table(client: Client) -> None:
    headers = await moderator_token(client, "table@example.org")
    comment_id = await post_held(client)
    steps = [
        ("restore", 409, "pending"),  # nothing to restore
        ("reject", 200, "rejected"),
        ("restore", 200, "pending"),
        ("spam", 200, "spam"),
        ("reject", 200, "rejected"),
        ("delete", 200, "deleted"),
        ("approve", 409, "deleted"),  # restore first
        ("delete", 409, "deleted"),
        ("restore", 200, "pending"),
        ("approve", 200, "approved"),
    ]
    for action, want_status, want_state in steps:
        status, body = await _decide(client, headers, comment_id, action, note=f"step {action}")
        assert status == want_status, (action, body)
        resp = await client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers)
        assert (await resp.json())["status"] == want_state, action
    events = await _events(client, headers, comment_id)
    moderator_events = [e for e in events if e["actor"] == "table@example.org"]
    assert [e["action"] for e in moderator_events] == [
        "reject",
        "restore",
        "spam",
        "reject",
        "delete",
        "restore",
        "approve",
    ]
    assert all(e["note"] == f"step {e['action']}" for e in moderator_events)


async def test_bad_decisions_are_4xx(client: Client) -> None:
    headers = await moderator_token(client, "bad@example.org")
    comment_id = await post_held(client)
    status, body = await _decide(client, headers, comment_id, "bless")
    assert status == 422 and body["errors"][0]["field"] == "action"
    status, _ = await _decide(client, headers, comment_id, "approve", version="7")
    assert status == 422
    status, _ = await _decide(client, headers, "0" * 26, "approve")
    assert status == 404
    status, _ = await _decide(client, headers, "../../etc", "approve")
    assert status == 404
    resp = await client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        data=b"{",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert resp.status == 400
    resp = await client.get("/api/v1/moderation/comments?status=bogus", headers=headers)
    assert resp.status == 400
    resp = await client.get("/api/v1/moderation/comments?cursor=garbage", headers=headers)
    assert resp.status == 400
    resp = await client.get("/api/v1/moderation/comments?site=nowhere", headers=headers)
    assert resp.status == 404


async def test_bulk_reports_each_id(client: Client) -> None:
    headers = await moderator_token(client, "bulk@example.org")
    first, second, third = [await post_held(client) for _ in range(3)]
    assert (await _decide(client, headers, third, "spam"))[0] == 200
    resp = await client.post(
        "/api/v1/moderation/decisions",
        json={"ids": [first, second, third, "0" * 26, first], "action": "reject", "note": "bulk"},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 200, body
    results = body["results"]
    assert results[first] == "ok" and results[second] == "ok"
    assert results[third] == "ok"  # spam → rejected is allowed
    assert results["0" * 26]["status"] == 404
    assert set(results) == {first, second, third, "0" * 26}

    resp = await client.post(
        "/api/v1/moderation/decisions", json={"ids": [first], "action": "reject"}, headers=headers
    )
    again = (await resp.json())["results"][first]
    assert again["status"] == 409 and again["type"].endswith(":conflict")

    for bad in (
        {"ids": [], "action": "approve"},
        {"ids": "x", "action": "approve"},
        {"ids": [first]},
        {"ids": [first] * 501, "action": "approve"},
    ):
        resp = await client.post("/api/v1/moderation/decisions", json=bad, headers=headers)
        assert resp.status == 422, bad


async def test_bulk_across_a_foreign_site_is_refused_whole(client: Client) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.add(
        "other", "Other", [], {"mode": "premoderate", "flood_max": 10_000}
    )
    mine = await post_held(client)
    resp = await client.post(
        "/api/v1/comments", json={"site": "other", "thread": "t", "body": "elsewhere"}
    )
    theirs = (await resp.json())["id"]
    headers = await moderator_token(client, "local@example.org", sites=("default",))
    resp = await client.post(
        "/api/v1/moderation/decisions",
        json={"ids": [mine, theirs], "action": "approve"},
        headers=headers,
    )
    assert resp.status == 403
    assert mine not in await public_ids(client)


async def test_moderator_edit_is_public_and_audited(client: Client) -> None:
    headers = await moderator_token(client, "editor@example.org")
    comment_id = await post_held(client, body="Buy cheap pills at spam.example now")
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    resp = await client.patch(
        f"/api/v1/moderation/comments/{comment_id}",
        json={"body": "[link removed by a moderator]", "note": "advertising"},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["body"] == "[link removed by a moderator]" and body["status"] == "approved"
    resp = await client.get("/api/v1/comments", params={"thread": "world/moderated-article"})
    page = await resp.json()
    shown = next(c for c in page["comments"] if c["id"] == comment_id)
    assert "link removed" in shown["body_html"] and "pills" not in shown["body_html"]
    assert shown["edited_at"] is not None
    edit = [e for e in await _events(client, headers, comment_id) if e["action"] == "edit"]
    assert len(edit) == 1 and edit[0]["actor"] == "editor@example.org"
    assert "advertising" in edit[0]["note"] and "Buy cheap pills" in edit[0]["note"]
    assert edit[0]["from_status"] == edit[0]["to_status"] == "approved"
    # One approval, one notify job: the edit rang nothing.
    assert await runtime_of(client).redis.xlen(STREAM_NOTIFY) == 1

    resp = await client.patch(
        f"/api/v1/moderation/comments/{comment_id}", json={"body": ""}, headers=headers
    )
    assert resp.status == 422
    resp = await client.patch(
        f"/api/v1/moderation/comments/{comment_id}",
        json={"body": "x", "version": 1},
        headers=headers,
    )
    assert resp.status == 409


async def test_decisions_reach_live_readers(client: Client) -> None:
    runtime = runtime_of(client)
    seen = []
    runtime.bus.add_listener(seen.append)
    headers = await moderator_token(client, "live@example.org")
    comment_id = await post_held(client)
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    resp = await client.patch(
        f"/api/v1/moderation/comments/{comment_id}", json={"body": "tidied"}, headers=headers
    )
    assert resp.status == 200
    assert (await _decide(client, headers, comment_id, "reject"))[0] == 200
    mine = [(e.type, e.comment_id) for e in seen if e.comment_id == comment_id]
    assert mine[-3:] == [
        ("comment.approved", comment_id),
        ("comment.updated", comment_id),
        ("comment.deleted", comment_id),
    ]


async def _flag(client: Client, comment_id: str, reader: int) -> ClientResponse:
    """A flag from reader number `reader`, each from an address of its own."""
    return await client.post(
        f"/api/v1/comments/{comment_id}/flags",
        json={"reason": "abuse", "reporter": f"reporter-{reader:04d}"},
        headers={"X-Forwarded-For": f"198.51.100.{reader}"},
    )


async def test_flags_a_moderator_reviewed_do_not_count_again(client: Client) -> None:
    """Approving a flagged comment clears its flags; one new flag does not pull it back."""
    headers = await moderator_token(client, "flags@example.org")
    comment_id = await post_held(client)
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    for n in (1, 2, 3):
        resp = await _flag(client, comment_id, n)
        assert resp.status == 202
    assert comment_id not in await public_ids(client)
    assert (await _decide(client, headers, comment_id, "approve"))[0] == 200
    await _flag(client, comment_id, 4)
    assert comment_id in await public_ids(client)
    for n in (5, 6):
        await _flag(client, comment_id, n)
    assert comment_id not in await public_ids(client)


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


async def test_odd_values_are_4xx_on_both_stores(any_client: Client) -> None:
    client = any_client
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    comment_id = await post_held(client)
    for action in ([], {}, [1], None):
        resp = await client.post(
            f"/api/v1/moderation/comments/{comment_id}/decision",
            json={"action": action},
            headers=admin,
        )
        body = await expect_problem(resp, 422)
        assert [e["field"] for e in body["errors"]] == ["action"]
    resp = await client.post(
        "/api/v1/moderation/bans", json={"kind": [], "value": "x@y.example"}, headers=admin
    )
    assert [e["field"] for e in (await expect_problem(resp, 422))["errors"]] == ["kind"]
    resp = await client.post(
        "/api/v1/moderation/bans",
        json={"kind": "email", "value": "z@y.example", "expires_at": "9999-12-31T23:59:59-12:00"},
        headers=admin,
    )
    assert [e["field"] for e in (await expect_problem(resp, 422))["errors"]] == ["expires_at"]
    await expect_problem(await client.delete("/api/v1/moderation/bans/%C2%B2", headers=admin), 404)
    for path in (
        "/api/v1/moderation/comments?limit=%C2%B2",
        "/api/v1/moderation/comments?q=a%00",
        "/api/v1/moderation/comments?thread=a%00",
        "/api/v1/moderation/comments?site=%00",
        "/api/v1/moderation/stats?site=%00",
        "/api/v1/moderation/bans?site=%00",
    ):
        await expect_problem(await client.get(path, headers=admin), 400)
    # What can't be a site id names no site (as OpenAPI documents for {site}).
    await expect_problem(await client.get("/api/v1/sites/%00/policy", headers=admin), 404)
    resp = await client.put("/api/v1/sites/%00/policy", json={}, headers=admin)
    await expect_problem(resp, 404)
    # The queue still answers normally afterwards.
    queue = await client.get("/api/v1/moderation/comments", headers=admin)
    assert [i["id"] for i in (await queue.json())["items"]] == [comment_id]
