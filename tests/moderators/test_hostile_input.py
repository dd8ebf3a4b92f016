"""Malformed moderator requests that once answered 500: each is now a clear 4xx."""

from __future__ import annotations

from tests.moderators.helpers import Client, moderator_token, post_held
from tests.web.helpers import expect_problem


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
