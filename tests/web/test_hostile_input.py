"""Hostile input found by review: every one of these once answered 500, or leaked or let
one client do what takes many. Each is now a clear problem+json (or the right answer)."""

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

from commentsvc.comments.reader_actions import MAX_VOTERS_PER_ADDRESS
from commentsvc.store.tables import comments
from tests.support import live_client, make_settings, runtime_of
from tests.web.conftest import GENEROUS_LIMITS
from tests.web.helpers import expect_problem, post_approved

Client = TestClient[Any, Any]


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


async def test_if_none_match_star_and_lists(client: Client) -> None:
    await post_approved(client, thread="t/etag")
    url = "/api/v1/comments?thread=t%2Fetag"
    first = await client.get(url)
    etag = first.headers["ETag"]
    for header in ("*", f'"other", {etag}', f"W/{etag}"):
        assert (await client.get(url, headers={"If-None-Match": header})).status == 304, header
    for header in ('"other"', etag.strip('"'), etag[:-3] + '"'):
        assert (await client.get(url, headers={"If-None-Match": header})).status == 200, header


async def test_public_reads_vary_by_origin_even_without_one(client: Client) -> None:
    await post_approved(client, thread="t/vary")
    for path in ("/api/v1/comments?thread=t%2Fvary", "/api/v1/counts?thread=t%2Fvary"):
        resp = await client.get(path)
        assert resp.status == 200
        assert "Origin" in resp.headers.getall("Vary", []), path
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_direction_overrides_in_a_name_are_refused(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        json={"thread": "t/bidi", "body": "Hello.", "author_name": "Admin\u202egnp.exe"},
    )
    body = await expect_problem(resp, 422)
    assert [e["field"] for e in body["errors"]] == ["author_name"]
    # The body keeps them: right-to-left writers use them.
    ok = await client.post(
        "/api/v1/comments", json={"thread": "t/bidi", "body": "\u202bשלום\u202c world"}
    )
    assert ok.status == 202


async def test_deleting_own_comments_is_rate_limited(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS="post=3/3600,post_hour=100/3600"
    )
    async with live_client(settings) as client:
        await runtime_of(client).store.sites.update("default", policy={"flood_max": 10_000})
        statuses = []
        for _ in range(4):
            resp = await client.delete(
                "/api/v1/comments/01aaaaaaaaaaaaaaaaaaaaaaaa",
                headers={"Authorization": "Bearer guess-guess-guess"},
            )
            statuses.append(resp.status)
        assert statuses[-1] == 429 and "Retry-After" in resp.headers
        assert set(statuses[:-1]) <= {403, 404}


async def test_one_address_can_not_mint_voters_to_push_a_comment_up(client: Client) -> None:
    c = await post_approved(client, thread="t/mint")
    url = f"/api/v1/comments/{c['id']}/votes"
    net = {"X-Forwarded-For": "203.0.113.50"}
    for n in range(MAX_VOTERS_PER_ADDRESS):
        resp = await client.post(url, json={"value": 1, "voter": f"minted-{n:04d}"}, headers=net)
        assert resp.status == 200
    resp = await client.post(url, json={"value": 1, "voter": "minted-9999"}, headers=net)
    body = await expect_problem(resp, 403)
    assert "your address" in body["detail"]
    resp = await client.post(
        url, json={"value": 1, "voter": "elsewhere-1"}, headers={"X-Forwarded-For": "198.51.100.9"}
    )
    assert await resp.json() == {"up": MAX_VOTERS_PER_ADDRESS + 1, "down": 0}
