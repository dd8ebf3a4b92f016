"""Every 4xx of API.md's table is problem+json with a useful detail; nothing is ever a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.servers import free_port
from tests.support import live_client, make_settings
from tests.web.helpers import assert_problem, post_approved

Client = TestClient[Any, Any]


async def test_400_malformed_json(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        data=b'{"thread": "t", "body": ',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 400
    body = await resp.json()
    assert_problem(400, body, resp.content_type)
    assert "JSON" in body["detail"]


async def test_400_empty_body(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments", data=b"", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert_problem(400, await resp.json(), resp.content_type)


async def test_400_malformed_query(client: Client) -> None:
    resp = await client.get("/api/v1/comments", params={"thread": "t", "limit": "1000"})
    assert resp.status == 400
    assert "limit" in (await resp.json())["detail"]
    resp = await client.get("/api/v1/counts")
    assert resp.status == 400
    assert_problem(400, await resp.json(), resp.content_type)


async def test_403_wrong_edit_token(client: Client) -> None:
    c = await post_approved(client, thread="t/403")
    resp = await client.delete(
        f"/api/v1/comments/{c['id']}", headers={"Authorization": "Bearer not-the-token"}
    )
    assert resp.status == 403
    assert_problem(403, await resp.json(), resp.content_type)


async def test_404_unknown_comment_and_route(client: Client) -> None:
    for path in (
        "/api/v1/comments/01aaaaaaaaaaaaaaaaaaaaaaaa",
        "/api/v1/comments/../../etc",
        "/no/such/route",
    ):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert_problem(404, await resp.json(), resp.content_type)
    resp = await client.get("/api/v1/comments", params={"site": "nosuchsite", "thread": "t"})
    assert resp.status == 404


async def test_405_wrong_method(client: Client) -> None:
    resp = await client.put("/api/v1/comments", json={})
    assert resp.status == 405
    assert_problem(405, await resp.json(), resp.content_type)
    assert "POST" in resp.headers["Allow"]


async def test_409_duplicate(client: Client) -> None:
    await client.post("/api/v1/comments", json={"thread": "t/409", "body": "twice"})
    resp = await client.post("/api/v1/comments", json={"thread": "t/409", "body": "twice"})
    assert resp.status == 409
    assert_problem(409, await resp.json(), resp.content_type)


async def test_413_body_too_large(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        data=b'{"thread": "t", "body": "' + b"x" * 70_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 413
    body = await resp.json()
    assert_problem(413, body, resp.content_type)
    assert "65536" in body["detail"]


async def test_415_not_json(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        data="thread=t&body=hi",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 415
    assert_problem(415, await resp.json(), resp.content_type)


async def test_422_lists_every_broken_field(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        json={
            "thread": "",
            "body": "",
            "author_name": "x" * 65,
            "author_email": "not-an-email",
            "notify": "sometimes",
            "anchor": {"quote": "q" * 1001},
            "thread_url": "javascript:alert(1)",
        },
    )
    assert resp.status == 422
    body = await resp.json()
    assert_problem(422, body, resp.content_type)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "thread",
        "body",
        "author_name",
        "author_email",
        "notify",
        "anchor.quote",
        "thread_url",
    }
    assert all(e["message"] for e in body["errors"])


async def test_422_wrong_types_and_non_object(client: Client) -> None:
    resp = await client.post("/api/v1/comments", json=["not", "an", "object"])
    assert resp.status == 422
    resp = await client.post(
        "/api/v1/comments", json={"thread": 5, "body": {"a": 1}, "parent_id": 7}
    )
    assert resp.status == 422
    assert {e["field"] for e in (await resp.json())["errors"]} == {"thread", "body", "parent_id"}
    resp = await client.post("/api/v1/comments", json={"thread": "t", "body": "hi\x00there"})
    assert resp.status == 422
    resp = await client.post(
        "/api/v1/comments", json={"thread": "t", "body": "hi", "notify": "thread"}
    )
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"] == "author_email"


async def test_429_rate_limited_with_retry_after(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    # Fixed windows: an hour, so no window boundary falls inside the test.
    settings = make_settings(tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS="post=3/3600")
    async with live_client(settings) as client:
        statuses = []
        for i in range(5):
            resp = await client.post(
                "/api/v1/comments", json={"thread": "t/429", "body": f"comment {i}"}
            )
            statuses.append(resp.status)
        assert statuses == [202, 202, 202, 429, 429]
        assert 1 <= int(resp.headers["Retry-After"]) <= 3600
        assert_problem(429, await resp.json(), resp.content_type)


async def test_503_when_the_database_is_down(
    tmp_path: Path, redis_url: str, redis: aioredis.Redis
) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none"
    settings = make_settings(tmp_path, dead, redis_url)
    from aiohttp.test_utils import TestClient, TestServer

    from commentsvc.web.app import create_app

    client: Client = TestClient(TestServer(create_app(settings, migrate=False), host="127.0.0.1"))
    await client.start_server()
    try:
        resp = await client.post("/api/v1/comments", json={"thread": "t", "body": "hello"})
        assert resp.status == 503
        assert_problem(503, await resp.json(), resp.content_type)
        assert resp.headers["Retry-After"]
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["down"] == ["database"]
    finally:
        await client.close()
