"""Every 4xx of API.md's table is problem+json with a useful detail; nothing is ever a 500."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.store.tables import comments
from tests.servers import free_port
from tests.support import live_client, make_settings, runtime_of
from tests.web.conftest import GENEROUS_LIMITS
from tests.web.helpers import assert_problem, expect_problem, post_approved

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


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
async def any_db_client(
    tmp_path: Path, database_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[Client]:
    """The public app on SQLite and on PostgreSQL (PostgreSQL refuses NUL in text)."""
    settings = make_settings(
        tmp_path, database_url, redis_url, COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS
    )
    async with live_client(settings) as c:
        yield c


async def raw_request(client: Client, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes aiohttp's client would refuse to send; the status and the body back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(head + b"Content-Length: " + str(len(body)).encode() + b"\r\n")
        writer.write(b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head_out, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_out.split(b" ", 2)[1]), payload


async def test_unicode_digits_are_not_numbers(client: Client) -> None:
    resp = await client.get("/api/v1/comments?thread=t1&limit=%C2%B2")  # "²"
    body = await expect_problem(resp, 400)
    assert "limit" in body["detail"]


async def test_control_characters_in_query_parameters_are_refused(
    any_db_client: Client,
) -> None:
    client = any_db_client
    c = await post_approved(client, thread="t/nul")
    assert c["id"]
    for path in (
        "/api/v1/comments?thread=t%2Fnul%00",
        "/api/v1/comments?thread=t%2Fnul&site=%00",
        "/api/v1/counts?thread=a%00",
        "/api/v1/counts?thread=a&site=%00",
        "/api/v1/stream?thread=a&site=%00",
    ):
        body = await expect_problem(await client.get(path), 400)
        assert "control characters" in body["detail"], path
    for sort, raw in (
        ("newest", "newest:\x00"),  # a cursor that decodes to a NUL
        ("top", "top:3000000000:" + c["id"]),  # beyond the 32-bit score column
        ("top", "top:" + "9" * 400 + ":" + c["id"]),
        ("top", "top:²:" + c["id"]),
        ("oldest", "oldest:not-an-id"),
    ):
        resp = await client.get(
            "/api/v1/comments", params={"thread": "t/nul", "sort": sort, "cursor": cursor(raw)}
        )
        body = await expect_problem(resp, 400)
        assert "cursor" in body["detail"], raw
    # A real cursor still pages.
    page = await (await client.get("/api/v1/comments?thread=t%2Fnul&sort=top&limit=1")).json()
    assert [x["id"] for x in page["comments"]] == [c["id"]]


async def test_signed_links_with_non_ascii_tokens_are_not_found(client: Client) -> None:
    for method in ("GET", "POST"):
        for prefix in ("/s/", "/u/"):
            for accept in ("application/json", "text/html"):
                resp = await client.request(
                    method, prefix + "a.b.%C3%A9", headers={"Accept": accept}
                )
                assert resp.status == 404, (method, prefix, accept)


async def test_a_broken_form_on_one_click_unsubscribe_is_a_400(client: Client) -> None:
    resp = await client.post(
        "/u/abc",
        data=b"junk",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    body = await expect_problem(resp, 400)
    assert "form" in body["detail"]


async def test_a_body_that_is_not_the_gzip_it_claims_is_a_400(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        data=b"{}",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    body = await expect_problem(resp, 400)
    assert "could not be read" in body["detail"]


async def test_undecodable_header_bytes_never_make_a_500(client: Client) -> None:
    c = await post_approved(client, thread="t/bytes")
    comment = f"/api/v1/comments/{c['id']}".encode()
    post_body = orjson.dumps({"thread": "t/bytes-2", "body": "Fine words."})
    cases: list[tuple[bytes, bytes, set[int]]] = [
        (b"GET " + comment + b" HTTP/1.1\r\nAuthorization: Bearer \xff\xfe\r\n", b"", {200}),
        (b"DELETE " + comment + b" HTTP/1.1\r\nAuthorization: Bearer \xff\xfe\r\n", b"", {403}),
        (
            b"GET /api/v1/moderation/comments HTTP/1.1\r\nCookie: commentsvc_session=\xff\xfe\r\n",
            b"",
            {401},
        ),
        (
            b"POST /api/v1/comments HTTP/1.1\r\nContent-Type: application/json\r\n"
            b"Origin: https://\xff\xfe.example\r\n",
            post_body,
            {403},
        ),
        (
            b"OPTIONS /api/v1/comments HTTP/1.1\r\nOrigin: https://\xff\xfe.example\r\n"
            b"Access-Control-Request-Method: POST\r\n",
            b"",
            {403},
        ),
        (
            b"POST /api/v1/comments HTTP/1.1\r\nContent-Type: application/json\r\n"
            b"User-Agent: agent/\xff\xfe\r\n",
            post_body,
            {202},
        ),
    ]
    for head, body, statuses in cases:
        status, payload = await raw_request(client, b"" + head + b"Host: 127.0.0.1\r\n", body)
        assert status in statuses, (head, status, payload[:200])
        if status >= 400:
            assert orjson.loads(payload)["status"] == status
    # The odd user agent was stored as the text it held.
    store = runtime_of(client).store
    thread = await store.threads.get("default", "t/bytes-2")
    assert thread is not None
    async with store.db.read() as conn:
        agents = (
            await conn.execute(
                sa.select(comments.c.user_agent).where(comments.c.thread_id == thread.id)
            )
        ).scalars()
        assert list(agents) == ["agent/"]
