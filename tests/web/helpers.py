"""Small helpers for the web tests."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp.test_utils import TestClient

from tests.support import drain


def assert_problem(status: int, body: dict[str, Any], content_type: str) -> None:
    assert content_type == "application/problem+json", content_type
    assert body["status"] == status
    assert body["type"].startswith("urn:commentsvc:problem:")
    assert body["title"]
    assert body["detail"]


async def expect_problem(resp: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json with this status; its body."""
    assert resp.status == status, await resp.text()
    body: dict[str, Any] = await resp.json(content_type=None)
    assert_problem(status, body, resp.content_type)
    return body


_serial = itertools.count(1)


async def post(client: TestClient[Any, Any], **fields: Any) -> dict[str, Any]:
    data = {
        "thread": "world/test-article",
        "body": f"A thoughtful comment, number {next(_serial)}.",
        **fields,
    }
    resp = await client.post("/api/v1/comments", json=data)
    body = await resp.json()
    assert resp.status == 202, body
    return body  # type: ignore[no-any-return]


async def post_approved(client: TestClient[Any, Any], **fields: Any) -> dict[str, Any]:
    body = await post(client, **fields)
    await drain(client)
    return body


async def thread(
    client: TestClient[Any, Any], key: str = "world/test-article", **params: Any
) -> dict[str, Any]:
    resp = await client.get("/api/v1/comments", params={"thread": key, **params})
    assert resp.status == 200, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]
