"""Public responses never carry an email, an IP, an IP hash or a token."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.support import runtime_of
from tests.web.helpers import drain

EMAIL = "private.person@example.org"


def walk(value: Any) -> list[str]:
    """Every string and key anywhere in a JSON value."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *walk(v)]]
    if isinstance(value, list):
        return [s for v in value for s in walk(v)]
    return [str(value)] if value is not None else []


async def test_public_routes_leak_nothing(client: TestClient[Any, Any]) -> None:
    headers = {"X-Forwarded-For": "198.51.100.7", "User-Agent": "PrivacyTest/1.0"}
    first = await client.post(
        "/api/v1/comments",
        headers=headers,
        json={
            "thread": "t/privacy",
            "body": "Mine, with an email.",
            "author_name": "Pat",
            "author_email": EMAIL,
        },
    )
    created = await first.json()
    await drain(client)
    reply = await client.post(
        "/api/v1/comments",
        json={
            "thread": "t/privacy",
            "body": "A reply.",
            "parent_id": created["id"],
            "author_email": "other@example.org",
        },
    )
    reply_body = await reply.json()
    await drain(client)
    runtime = runtime_of(client)
    comment = await runtime.store.comments.get(created["id"])
    assert comment is not None and comment.ip_hash
    secrets_ = [
        EMAIL,
        "other@example.org",
        "127.0.0.1",
        "198.51.100.7",
        comment.ip_hash,
        comment.edit_token_hash,
        created["edit_token"],
        reply_body["edit_token"],
    ]
    responses = []
    for path, params in (
        ("/api/v1/comments", {"thread": "t/privacy"}),
        ("/api/v1/comments", {"thread": "t/privacy", "sort": "top"}),
        ("/api/v1/comments", {"thread": "t/privacy", "filter": "feedback"}),
        (f"/api/v1/comments/{created['id']}", {}),
        (f"/api/v1/comments/{reply_body['id']}", {}),
        ("/api/v1/counts", {"thread": "t/privacy"}),
    ):
        resp = await client.get(path, params=params)
        assert resp.status == 200
        responses.append(await resp.json())
    other = runtime.keys.ip_hash("203.0.113.50")
    from commentsvc.store.tables import comments

    async with runtime.store.db.write() as conn:
        await conn.execute(
            comments.update().where(comments.c.id == created["id"]).values(ip_hash=other)
        )
    vote = await client.post(
        f"/api/v1/comments/{created['id']}/votes", json={"value": 1, "voter": "voter-12345"}
    )
    responses.append(await vote.json())
    flag = await client.post(
        f"/api/v1/comments/{created['id']}/flags", json={"reason": "other", "reporter": "rep-12345"}
    )
    responses.append(await flag.json())
    # The author's own responses carry their token (that is the point) but no email or address.
    for own in (created, reply_body):
        strings = walk(own)
        for leak in (EMAIL, "other@example.org", "127.0.0.1", "198.51.100.7", comment.ip_hash):
            assert not any(leak in s for s in strings)
    for data in responses:
        strings = walk(data)
        for leak in secrets_:
            assert not any(leak in s for s in strings), (leak, data)
        for key in (
            "author_email",
            "email",
            "ip",
            "ip_hash",
            "edit_token",
            "edit_token_hash",
            "user_agent",
        ):
            assert key not in strings
