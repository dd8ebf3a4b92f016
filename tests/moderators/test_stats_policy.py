"""Stats for a site, and its policy over HTTP (admins only)."""

from __future__ import annotations

import asyncio

import pytest

from commentsvc.policy import policy_fields
from tests.moderators.helpers import Client, hold_everything, moderator_token, post, post_held
from tests.support import drain, runtime_of


@pytest.fixture
def client(any_client: Client) -> Client:
    """These tests run once on SQLite and once on PostgreSQL."""
    return any_client


async def test_stats_count_statuses_age_and_decisions_by_rule(client: Client) -> None:
    headers = await moderator_token(client, "stats@example.org")
    await post(client, body="Clean and simple.")
    await post(client, body="Links https://a.example/1 and https://b.example/2 here")
    await drain(client)
    held = [await post_held(client) for _ in range(3)]
    resp = await client.post(
        f"/api/v1/moderation/comments/{held[0]}/decision",
        json={"action": "reject"},
        headers=headers,
    )
    assert resp.status == 200

    resp = await client.get("/api/v1/moderation/stats", headers=headers)
    stats = await resp.json()
    assert resp.status == 200, stats
    assert stats["site"] == "default"
    counts = stats["counts"]
    assert counts["approved"] == 1 and counts["pending"] == 3 and counts["rejected"] == 1
    assert counts["spam"] == 0 and counts["flagged"] == 0 and counts["received"] == 0
    assert stats["oldest_pending_age_s"] >= 0 and stats["oldest_pending_at"]
    decisions = stats["decisions_24h"]
    assert decisions["by_rule"]["clean"] == 1
    assert decisions["by_rule"]["links"] == 1
    assert decisions["by_rule"]["premoderate"] == 3  # held by the worker, one since rejected
    assert decisions["by_rule"]["moderator"] == 1
    assert decisions["by_moderator"] == {"stats@example.org": 1}
    assert decisions["by_status"] == {"approved": 1, "pending": 4, "rejected": 1}
    assert decisions["total"] == 6

    resp = await client.get("/api/v1/moderation/stats", params={"site": "nope"}, headers=headers)
    assert resp.status == 404


async def test_stats_with_nothing_pending(client: Client) -> None:
    headers = await moderator_token(client, "quiet@example.org")
    stats = await (await client.get("/api/v1/moderation/stats", headers=headers)).json()
    assert stats["oldest_pending_age_s"] is None and stats["decisions_24h"]["total"] == 0


async def test_admins_read_and_replace_the_policy(client: Client) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    resp = await client.get("/api/v1/sites/default/policy", headers=admin)
    policy = await resp.json()
    assert resp.status == 200
    assert list(policy) == policy_fields()  # every field of DESIGN §5 and §6
    assert policy["flood_max"] == 10_000 and policy["mode"] == "auto"

    resp = await client.put(
        "/api/v1/sites/default/policy",
        json={"mode": "premoderate", "moderation_keys": ["refund"], "flood_max": 10_000},
        headers=admin,
    )
    updated = await resp.json()
    assert resp.status == 200, updated
    assert updated["mode"] == "premoderate" and updated["moderation_keys"] == ["refund"]
    assert updated["max_links"] == 2  # left out: the default
    site = await runtime_of(client).store.sites.get("default")
    assert site is not None
    assert site.policy == {
        "mode": "premoderate",
        "moderation_keys": ["refund"],
        "flood_max": 10_000,
    }

    # The change applies at once: the next comment waits for a moderator.
    comment_id = (await post(client, body="Please let me in"))["id"]
    await drain(client)
    held = await runtime_of(client).store.comments.get(comment_id)
    assert held is not None and held.status.value == "pending"


async def test_patch_sets_the_fields_sent_and_put_replaces_the_rest(client: Client) -> None:
    """Two verbs, two meanings: PATCH (and the CLI's `site policy --set`) merge, PUT replaces."""
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    url = "/api/v1/sites/default/policy"
    resp = await client.put(url, json={"max_links": 5, "flood_max": 10_000}, headers=admin)
    assert resp.status == 200, await resp.text()

    resp = await client.patch(url, json={"mode": "premoderate"}, headers=admin)
    merged = await resp.json()
    assert resp.status == 200, merged
    assert merged["mode"] == "premoderate" and merged["max_links"] == 5  # kept
    site = await runtime_of(client).store.sites.get("default")
    assert site is not None
    assert site.policy == {"max_links": 5, "flood_max": 10_000, "mode": "premoderate"}

    resp = await client.patch(url, json={"max_links": -1}, headers=admin)
    assert resp.status == 422
    assert [e["field"] for e in (await resp.json())["errors"]] == ["max_links"]

    resp = await client.put(url, json={"mode": "auto"}, headers=admin)
    assert resp.status == 200
    assert (await resp.json())["max_links"] == 2  # replaced: the default again
    site = await runtime_of(client).store.sites.get("default")
    assert site is not None and site.policy == {"mode": "auto"}

    outsider = await moderator_token(client, "o@example.org", role="admin", sites=("other",))
    resp = await client.patch(url, json={"mode": "auto"}, headers=outsider)
    assert resp.status == 403


async def test_patches_at_once_lose_no_field(client: Client) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("default",))
    url = "/api/v1/sites/default/policy"
    for _ in range(5):
        assert (await client.put(url, json={}, headers=admin)).status == 200
        answers = await asyncio.gather(
            client.patch(url, json={"mode": "premoderate"}, headers=admin),
            client.patch(url, json={"max_links": 7}, headers=admin),
            client.patch(url, json={"flood_max": 99}, headers=admin),
        )
        assert [a.status for a in answers] == [200, 200, 200]
        site = await runtime_of(client).store.sites.get("default")
        assert site is not None
        assert site.policy == {"mode": "premoderate", "max_links": 7, "flood_max": 99}


async def test_a_bad_policy_lists_every_broken_field(client: Client) -> None:
    admin = await moderator_token(client, "strict@example.org", role="admin")
    before = await (await client.get("/api/v1/sites/default/policy", headers=admin)).json()
    resp = await client.put(
        "/api/v1/sites/default/policy",
        json={"mode": "chaos", "max_links": -1, "hold_first_time": "maybe", "colour": "red"},
        headers=admin,
    )
    body = await resp.json()
    assert resp.status == 422
    assert {e["field"] for e in body["errors"]} == {
        "mode",
        "max_links",
        "hold_first_time",
        "colour",
    }
    for bad in ([], "premoderate", 7):
        resp = await client.put("/api/v1/sites/default/policy", json=bad, headers=admin)
        assert resp.status == 422, bad
    resp = await client.put("/api/v1/sites/default/policy", headers=admin)
    assert resp.status == 415
    after = await (await client.get("/api/v1/sites/default/policy", headers=admin)).json()
    assert after == before
    resp = await client.get("/api/v1/sites/unknown/policy", headers=admin)
    assert resp.status == 404


async def test_policy_changes_need_csrf_with_a_cookie(client: Client) -> None:
    from tests.moderators.helpers import add_moderator, login

    email = await add_moderator(client, "cookieadmin@example.org", role="admin")
    csrf = await login(client, email)
    resp = await client.put("/api/v1/sites/default/policy", json={"mode": "premoderate"})
    assert resp.status == 403
    resp = await client.put(
        "/api/v1/sites/default/policy", json={"mode": "premoderate"}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 200
    await hold_everything(client)
