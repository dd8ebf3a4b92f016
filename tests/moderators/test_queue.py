"""The review queue: statuses, order, search, thread filter, paging, and what a ModComment holds."""

from __future__ import annotations

from typing import Any

import pytest

from commentsvc.comments.lifecycle import STEPS
from commentsvc.models import Status
from commentsvc.review.modviews import MOD_ACTIONS
from tests.moderators.helpers import Client, hold_everything, moderator_token, post, post_held
from tests.support import drain, runtime_of


@pytest.fixture
def client(any_client: Client) -> Client:
    """These tests run once on SQLite and once on PostgreSQL."""
    return any_client


async def _queue(client: Client, headers: dict[str, str], **params: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/moderation/comments", params=params, headers=headers)
    body = await resp.json()
    assert resp.status == 200, body
    return body  # type: ignore[no-any-return]


async def test_pending_is_oldest_first_and_pages_with_a_cursor(client: Client) -> None:
    headers = await moderator_token(client, "q@example.org")
    ids = [await post_held(client) for _ in range(5)]
    first = await _queue(client, headers, limit="2")
    assert [c["id"] for c in first["items"]] == ids[:2]
    second = await _queue(client, headers, limit="2", cursor=first["next_cursor"])
    third = await _queue(client, headers, limit="2", cursor=second["next_cursor"])
    assert [c["id"] for c in second["items"] + third["items"]] == ids[2:]
    assert third["next_cursor"] is None
    # A pending cursor is not a cursor for an archive read newest first.
    resp = await client.get(
        "/api/v1/moderation/comments",
        params={"status": "spam", "cursor": first["next_cursor"]},
        headers=headers,
    )
    assert resp.status == 400


async def test_archives_are_newest_first(client: Client) -> None:
    headers = await moderator_token(client, "arch@example.org")
    ids = [await post_held(client) for _ in range(3)]
    resp = await client.post(
        "/api/v1/moderation/decisions", json={"ids": ids, "action": "spam"}, headers=headers
    )
    assert resp.status == 200
    spam = await _queue(client, headers, status="spam")
    assert [c["id"] for c in spam["items"]] == ids[::-1]
    assert (await _queue(client, headers))["items"] == []
    everything = await _queue(client, headers, status="all")
    assert {c["id"] for c in everything["items"]} == set(ids)


async def test_a_mod_comment_shows_why_where_and_who(client: Client) -> None:
    await hold_everything(client, moderation_keys=["miracle cure"])
    headers = await moderator_token(client, "why@example.org")
    earlier = await post_held(
        client, author_name="Cleo", author_email="Cleo@Example.org", body="First words."
    )
    resp = await client.post(
        f"/api/v1/moderation/comments/{earlier}/decision",
        json={"action": "approve"},
        headers=headers,
    )
    assert resp.status == 200
    comment_id = await post_held(
        client,
        author_name="Cleo",
        author_email="cleo@example.org",
        thread_title="Health news",
        thread_url="https://news.example/health",
        body="Try my 🌿 Miracle Cure today.",
    )
    item = next(c for c in (await _queue(client, headers))["items"] if c["id"] == comment_id)
    assert item["status"] == "pending"
    assert item["author_email"] == "cleo@example.org"
    assert item["ip_hash"] and len(item["ip_hash"]) == 32
    assert item["thread"] == {
        "key": "world/moderated-article",
        "title": "Health news",
        "url": "https://news.example/health",
    }
    assert item["body"] == "Try my 🌿 Miracle Cure today."
    rules = {r["rule"] for r in item["reasons"]}
    assert "moderation_key" in rules, item["reasons"]
    marks = [item["body"][h["start"] : h["end"]] for h in item["highlights"]]
    assert marks == ["Miracle Cure"], item["highlights"]
    assert item["author_history"]["approved"] == 1 and item["author_history"]["pending"] == 1
    assert item["flags"] == {"count": 0, "unreviewed": 0, "reasons": {}, "notes": []}
    assert item["decided_by"] == "system" and item["decided_at"]
    assert item["version"] >= 2 and item["site"] == "default"


async def test_a_mod_comment_lists_what_the_lifecycle_allows_now(client: Client) -> None:
    """`actions` is the lifecycle table's answer for the comment's status, after each
    decision too (the moderation page shows only these and computes none)."""
    headers = await moderator_token(client, "acts@example.org")
    comment_id = await post_held(client)
    item = next(c for c in (await _queue(client, headers))["items"] if c["id"] == comment_id)
    seen = [item]
    for action in ("spam", "restore", "approve", "reject", "delete", "restore"):
        assert action in item["actions"], item
        resp = await client.post(
            f"/api/v1/moderation/comments/{comment_id}/decision",
            json={"action": action},
            headers=headers,
        )
        item = await resp.json()
        assert resp.status == 200, item
        seen.append(item)
    for item in seen:
        status = Status(item["status"])
        assert item["actions"] == [a.value for a in MOD_ACTIONS if STEPS[a].allows(status)]
    assert {s["status"] for s in seen} == {"pending", "spam", "approved", "rejected", "deleted"}
    assert seen[-2]["actions"] == ["restore"]


async def test_search_and_thread_filter(client: Client) -> None:
    headers = await moderator_token(client, "find@example.org")
    a = await post_held(client, body="Talking about 100% pure_gold here", author_name="Dora")
    b = await post_held(client, body="Nothing to see", author_email="eve@mail.example")
    c = await post_held(client, body="Pure gold elsewhere", thread="sport/other")
    assert [i["id"] for i in (await _queue(client, headers, q="pure"))["items"]] == [a, c]
    assert [i["id"] for i in (await _queue(client, headers, q="100%"))["items"]] == [a]
    assert [i["id"] for i in (await _queue(client, headers, q="_gold"))["items"]] == [a]
    assert [i["id"] for i in (await _queue(client, headers, q="DORA"))["items"]] == [a]
    assert [i["id"] for i in (await _queue(client, headers, q="mail.example"))["items"]] == [b]
    assert [i["id"] for i in (await _queue(client, headers, q=b))["items"]] == [b]
    only = await _queue(client, headers, thread="sport/other")
    assert [i["id"] for i in only["items"]] == [c]


async def test_flagged_lists_unreviewed_reports_until_a_moderator_decides(client: Client) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", policy={"flood_max": 10_000, "flag_threshold": 2})
    runtime.service.forget_site("default")
    headers = await moderator_token(client, "flags@example.org")
    posted = await post(client, body="A perfectly normal opinion.")
    await drain(client)
    comment_id = posted["id"]
    resp = await client.post(
        f"/api/v1/comments/{comment_id}/flags",
        json={"reason": "abuse", "note": "rude to me", "reporter": "reader-one-id"},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert resp.status == 202
    flagged = await _queue(client, headers, status="flagged")
    assert [i["id"] for i in flagged["items"]] == [comment_id]
    assert flagged["items"][0]["status"] == "approved"  # one report: still public
    assert flagged["items"][0]["flags"] == {
        "count": 1,
        "unreviewed": 1,
        "reasons": {"abuse": 1},
        "notes": ["rude to me"],
    }
    resp = await client.post(
        f"/api/v1/comments/{comment_id}/flags",
        json={"reason": "spam", "reporter": "reader-two-id"},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert resp.status == 202
    pending = await _queue(client, headers)
    assert [i["id"] for i in pending["items"]] == [comment_id]
    assert "flagged" in {r["rule"] for r in pending["items"][0]["reasons"]}

    resp = await client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "approve", "note": "reports unfounded"},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["flags"]["count"] == 2 and body["flags"]["unreviewed"] == 0
    assert (await _queue(client, headers, status="flagged"))["items"] == []
