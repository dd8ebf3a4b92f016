"""Featured comments and staff replies (issue 14) through the public and moderation API."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.moderators.helpers import moderator_token
from tests.web.helpers import expect_problem, post_approved, thread

Client = TestClient[Any, Any]
KEY = "world/test-article"


async def test_a_featured_comment_shows_in_the_strip_and_in_place(client: Client) -> None:
    headers = await moderator_token(client, "mod@example.org", sites=("*",))
    first, second = await post_approved(client), await post_approved(client)
    before = await thread(client)  # cached now: featuring must drop it
    assert before["featured"] == []
    resp = await client.post(
        f"/api/v1/moderation/comments/{first['id']}/feature",
        json={"featured": True},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["featured"] is True
    page = await thread(client)
    assert [c["id"] for c in page["featured"]] == [first["id"]]
    in_place = {c["id"]: c for c in page["comments"]}
    assert in_place[first["id"]]["featured"] is True  # never instead of the thread
    assert in_place[second["id"]]["featured"] is False
    single = await client.get(f"/api/v1/comments/{first['id']}")
    assert (await single.json())["featured"] is True
    # Rejected later: it leaves the strip (and the thread).
    resp = await client.post(
        f"/api/v1/moderation/comments/{first['id']}/decision",
        json={"action": "reject"},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    page = await thread(client)
    assert page["featured"] == [] and [c["id"] for c in page["comments"]] == [second["id"]]


async def test_unfeaturing_and_who_may(client: Client) -> None:
    headers = await moderator_token(client, "mod@example.org", sites=("*",))
    other = await moderator_token(client, "elsewhere@example.org", sites=("news",))
    posted = await post_approved(client)
    url = f"/api/v1/moderation/comments/{posted['id']}/feature"
    await expect_problem(await client.post(url, json={"featured": True}, headers=other), 403)
    await expect_problem(await client.post(url, json={"featured": "yes"}, headers=headers), 422)
    await expect_problem(await client.post(url, json={"featured": True}), 401)
    assert (await client.post(url, json={"featured": True}, headers=headers)).status == 200
    assert (await thread(client))["featured"] != []
    assert (await client.post(url, json={"featured": False}, headers=headers)).status == 200
    assert (await thread(client))["featured"] == []


async def test_a_staff_reply_skips_moderation_and_is_marked(client: Client) -> None:
    headers = await moderator_token(client, "desk@example.org", sites=("*",))
    parent = await post_approved(client)
    # Premoderation and a moderation key would hold any reader's comment: not this one.
    await client.put(
        "/api/v1/sites/default/policy",
        json={"mode": "premoderate", "flood_max": 10_000},
        headers=await moderator_token(client, "admin@example.org", role="admin", sites=("*",)),
    )
    resp = await client.post(
        f"/api/v1/moderation/comments/{parent['id']}/replies",
        json={"body": "Thanks, we have corrected the article.", "author_name": "The Desk"},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 201, body
    assert body["staff"] is True and body["status"] == "approved"
    assert body["author_name"] == "The Desk" and body["parent_id"] == parent["id"]
    page = await thread(client)
    [top] = [c for c in page["comments"] if c["id"] == parent["id"]]
    assert [(r["id"], r["staff"]) for r in top["replies"]] == [(body["id"], True)]
    assert page["thread"]["count"] == 2
    bad = await client.post(
        f"/api/v1/moderation/comments/{parent['id']}/replies", json={"body": " "}, headers=headers
    )
    await expect_problem(bad, 422)
