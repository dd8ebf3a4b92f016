"""A thread page as the cache sends it: 304s, the gzip copy, Vary, HEAD, a new comment."""

from __future__ import annotations

import gzip
from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.helpers import post_approved

Client = TestClient[Any, Any]
URL = "/api/v1/comments"
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


async def get(client: Client, thread: str, **headers: str) -> tuple[Any, bytes]:
    resp = await client.get(URL, params={"thread": thread}, headers=headers, auto_decompress=False)
    return resp, await resp.read()


async def test_gzip_copy_decompresses_to_the_identity_bytes(client: Client) -> None:
    for n in range(12):  # a page big enough to be worth compressing
        await post_approved(client, thread="t/gzip", body=f"Comment {n} on the article. " * 8)
    plain, plain_body = await get(client, "t/gzip", **IDENTITY)
    packed, packed_body = await get(client, "t/gzip", **GZIP)
    assert plain.status == packed.status == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed_body) == plain_body
    assert len(packed_body) < len(plain_body)
    assert packed.headers["ETag"] != plain.headers["ETag"]  # two representations, two tags
    for resp in (plain, packed):
        assert "Accept-Encoding" in resp.headers.getall("Vary"), resp.headers
        assert resp.headers["Content-Type"].startswith("application/json")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Security-Policy"]
    refused, refused_body = await get(client, "t/gzip", **{"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers
    assert refused_body == plain_body


async def test_matching_etag_of_either_copy_gives_304(client: Client) -> None:
    await post_approved(client, thread="t/304", body="Long enough to be compressed. " * 60)
    plain, _ = await get(client, "t/304", **IDENTITY)
    packed, _ = await get(client, "t/304", **GZIP)
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        for accept in (IDENTITY, GZIP):
            again, body = await get(client, "t/304", **accept, **{"If-None-Match": etag})
            assert again.status == 304, (etag, accept)
            assert body == b""
            assert "Accept-Encoding" in again.headers.getall("Vary")
            assert again.headers["ETag"] in (plain.headers["ETag"], packed.headers["ETag"])
    other, _ = await get(client, "t/304", **{"If-None-Match": '"not-this-one"'})
    assert other.status == 200


async def test_a_new_approved_comment_replaces_the_cached_page(client: Client) -> None:
    await post_approved(client, thread="t/fresh", body="The first comment, long enough. " * 40)
    first, first_body = await get(client, "t/fresh", **GZIP)
    await post_approved(client, thread="t/fresh", body="The second comment on this article.")
    again, body = await get(client, "t/fresh", **GZIP, **{"If-None-Match": first.headers["ETag"]})
    assert again.status == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    page = gzip.decompress(body)
    assert b"The second comment" in page
    assert b"The second comment" not in gzip.decompress(first_body)


async def test_head_gives_the_headers_without_the_body(client: Client) -> None:
    await post_approved(client, thread="t/head", body="A comment to be counted. " * 60)
    got, body = await get(client, "t/head", **GZIP)
    head = await client.head(URL, params={"thread": "t/head"}, headers=GZIP)
    assert head.status == 200
    assert await head.read() == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(body))
    assert head.headers["Content-Encoding"] == "gzip"
