"""Bans (acceptance 4): purge takes an author's comments down; the worker refuses new ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commentsvc.models import Status
from commentsvc.web.keys import DECISIONS
from tests.moderators.helpers import Client, moderator_token, post, post_held, public_ids
from tests.support import drain, runtime_of


@pytest.fixture
def client(any_client: Client) -> Client:
    """These tests run once on SQLite and once on PostgreSQL."""
    return any_client


async def _ban(
    client: Client, headers: dict[str, str], **fields: Any
) -> tuple[int, dict[str, Any]]:
    resp = await client.post("/api/v1/moderation/bans", json=fields, headers=headers)
    return resp.status, await resp.json()


async def _status(client: Client, comment_id: str) -> Status:
    comment = await runtime_of(client).store.comments.get(comment_id)
    assert comment is not None
    return comment.status


async def test_ban_with_purge_takes_the_author_down_and_keeps_them_out(client: Client) -> None:
    headers = await moderator_token(client, "banner@example.org")
    troll = {"author_name": "Troll", "author_email": "troll@bad.example"}
    public_one = (await post(client, body="Troll comment one", **troll))["id"]
    public_two = (await post(client, body="Troll comment two", **troll))["id"]
    bystander = (await post(client, body="A kind reader", author_email="kind@ok.example"))["id"]
    await drain(client)
    assert {public_one, public_two, bystander} <= await public_ids(client)
    held = await post_held(client, body="Troll comment three", **troll)

    status, body = await _ban(
        client, headers, kind="email", value="Troll@BAD.example", reason="abuse", purge=True
    )
    assert status == 201, body
    assert body["ban"]["value"] == "troll@bad.example"
    assert body["ban"]["created_by"] == "banner@example.org"
    assert body["purge"] == {"status": "done", "rejected": 3}

    visible = await public_ids(client)
    assert public_one not in visible and public_two not in visible
    assert bystander in visible
    assert await _status(client, held) is Status.REJECTED
    resp = await client.get(f"/api/v1/moderation/comments/{public_one}/events", headers=headers)
    purge_event = (await resp.json())["events"][-1]
    assert purge_event["actor"] == "banner@example.org" and purge_event["to_status"] == "rejected"
    assert "ban #" in purge_event["note"] and "abuse" in purge_event["note"]

    # A new comment from the banned address is never approved, even on an open site.
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", policy={"flood_max": 10_000})
    runtime.service.forget_site("default")
    fresh = (await post(client, body="I am back with new words", **troll))["id"]
    await drain(client)
    assert await _status(client, fresh) is Status.SPAM
    assert fresh not in await public_ids(client)


async def test_ip_bans_take_a_raw_address_or_the_hash_the_queue_shows(client: Client) -> None:
    headers = await moderator_token(client, "ip@example.org")
    held = await post_held(client)
    resp = await client.get(f"/api/v1/moderation/comments/{held}", headers=headers)
    ip_hash = (await resp.json())["ip_hash"]
    status, body = await _ban(client, headers, kind="ip", value="127.0.0.1")
    assert status == 201 and body["ban"]["value"] == ip_hash and body["purge"] is None
    status, body = await _ban(client, headers, kind="ip", value=ip_hash.upper())
    assert status == 201 and body["ban"]["value"] == ip_hash
    status, body = await _ban(client, headers, kind="ip", value="not-an-address")
    assert status == 422 and body["errors"][0]["field"] == "value"


async def test_domain_bans_cover_email_domains_and_links(client: Client) -> None:
    headers = await moderator_token(client, "domain@example.org")
    by_mail = await post_held(client, author_email="x@mail.spam.example")
    by_link = await post_held(client, body="see https://www.spam.example/offer now")
    innocent = await post_held(client, body="I read about spam.examples in class")
    status, body = await _ban(client, headers, kind="domain", value="*.Spam.Example", purge=True)
    assert status == 201, body
    assert body["ban"]["value"] == "spam.example"
    assert body["purge"]["rejected"] == 2
    assert await _status(client, by_mail) is Status.REJECTED
    assert await _status(client, by_link) is Status.REJECTED
    assert await _status(client, innocent) is Status.PENDING


async def test_name_bans_and_lifting_a_ban(client: Client) -> None:
    headers = await moderator_token(client, "names@example.org")
    status, body = await _ban(client, headers, kind="name", value="Spam King")
    assert status == 201
    ban_id = body["ban"]["id"]
    again = await _ban(client, headers, kind="name", value="spam king")  # a double click
    assert again[0] == 201 and again[1]["ban"]["id"] == ban_id  # the same ban, not a second
    first = (await post(client, author_name="spam king", body="buy buy buy"))["id"]
    await drain(client)
    assert await _status(client, first) is Status.SPAM

    resp = await client.get("/api/v1/moderation/bans", headers=headers)
    assert [b["id"] for b in (await resp.json())["items"]] == [ban_id]
    resp = await client.delete(f"/api/v1/moderation/bans/{ban_id}", headers=headers)
    assert resp.status == 204
    resp = await client.delete(f"/api/v1/moderation/bans/{ban_id}", headers=headers)
    assert resp.status == 404
    resp = await client.delete("/api/v1/moderation/bans/abc", headers=headers)
    assert resp.status == 404
    second = (await post(client, author_name="spam king", body="a changed man"))["id"]
    await drain(client)
    assert await _status(client, second) is Status.APPROVED


async def test_ban_expiry(client: Client) -> None:
    headers = await moderator_token(client, "expiry@example.org")
    later = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    status, body = await _ban(client, headers, kind="name", value="Week", expires_at=later)
    assert status == 201 and body["ban"]["expires_at"].startswith(later[:16])
    for bad in ("yesterday", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00", 5):
        status, body = await _ban(client, headers, kind="name", value="X", expires_at=bad)
        assert status == 422 and body["errors"][0]["field"] == "expires_at", bad
    past = datetime.now(UTC) - timedelta(hours=1)
    await runtime_of(client).store.bans.add("default", "name", "Gone", expires_at=past)
    resp = await client.get("/api/v1/moderation/bans", headers=headers)
    assert [b["value"] for b in (await resp.json())["items"]] == ["Week"]
    resp = await client.get("/api/v1/moderation/bans", params={"expired": "1"}, headers=headers)
    items = (await resp.json())["items"]
    assert {(b["value"], b["active"]) for b in items} == {("Week", True), ("Gone", False)}


async def test_bad_bans_list_every_field(client: Client) -> None:
    headers = await moderator_token(client, "badban@example.org")
    status, body = await _ban(client, headers, site="Nope!", kind="face", value="", purge="yes")
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"site", "kind", "value", "purge"}
    status, _ = await _ban(client, headers, site="unknown-site", kind="name", value="x")
    assert status == 404  # a moderator of every site, but there is no such site
    for kind, value in (
        ("email", "not-an-email"),
        ("domain", "no spaces.example"),
        ("name", "n" * 65),
    ):
        status, body = await _ban(client, headers, kind=kind, value=value)
        assert status == 422, (kind, value, body)


async def test_a_big_purge_runs_in_the_background(client: Client) -> None:
    headers = await moderator_token(client, "big@example.org")
    spammer = {"author_name": "Bulk", "author_email": "bulk@flood.example"}
    posted = await asyncio.gather(
        *(post(client, body=f"Flood message number {n}", **spammer) for n in range(120))
    )
    await drain(client)
    ids = {p["id"] for p in posted}
    store = runtime_of(client).store
    thread = await store.threads.get("default", "world/moderated-article")
    assert thread is not None and thread.count == 120
    status, body = await _ban(client, headers, kind="email", value="bulk@flood.example", purge=True)
    assert status == 201
    assert body["purge"] == {"status": "running", "rejected": None}
    await client.server.app[DECISIONS].bans.wait_for_purges()  # type: ignore[union-attr]
    assert not await public_ids(client) & ids
    assert {c.status for c in await store.comments.get_many(list(ids))} == {Status.REJECTED}
    thread = await store.threads.get("default", "world/moderated-article")
    assert thread is not None and thread.count == 0
