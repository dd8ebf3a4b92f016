"""Helpers for the moderator tests: accounts, sign-in, held comments."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp.test_utils import TestClient

from commentsvc.auth import Accounts
from commentsvc.models import Status
from tests.support import drain, runtime_of

Client = TestClient[Any, Any]
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


def accounts_of(client: Client) -> Accounts:
    runtime = runtime_of(client)
    return Accounts(runtime.store, runtime.keys)


async def add_moderator(
    client: Client, email: str, *, role: str = "moderator", sites: tuple[str, ...] = ()
) -> str:
    """Create a moderator straight through the accounts code; return their email."""
    await accounts_of(client).add_moderator(email, PASSWORD, role, sites)
    return email


async def token_headers(client: Client, email: str) -> dict[str, str]:
    token = await accounts_of(client).issue_token(email)
    return {"Authorization": f"Bearer {token}"}


async def moderator_token(
    client: Client, email: str, *, role: str = "moderator", sites: tuple[str, ...] = ()
) -> dict[str, str]:
    """A new moderator and the Authorization header of a fresh API token for them."""
    await add_moderator(client, email, role=role, sites=sites)
    return await token_headers(client, email)


async def login(client: Client, email: str, password: str = PASSWORD) -> str:
    """Sign in on the client's cookie jar; return the CSRF token."""
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    body = await resp.json()
    assert resp.status == 200, body
    return str(body["csrf_token"])


async def hold_everything(client: Client, **policy: Any) -> None:
    """Premoderate the default site, so every new comment waits for a moderator."""
    runtime = runtime_of(client)
    site = await runtime.store.sites.get("default")
    current = site.policy if site else {}
    if current.get("mode") == "premoderate" and not policy:
        return
    await runtime.store.sites.update(
        "default", policy={**current, "flood_max": 10_000, "mode": "premoderate", **policy}
    )
    runtime.service.forget_site("default")


async def post(client: Client, **fields: Any) -> dict[str, Any]:
    data = {
        "thread": "world/moderated-article",
        "body": f"A comment worth reading, number {next(_serial)}.",
        **fields,
    }
    resp = await client.post("/api/v1/comments", json=data)
    body = await resp.json()
    assert resp.status == 202, body
    return body  # type: ignore[no-any-return]


async def post_held(client: Client, **fields: Any) -> str:
    """Post a comment (on a premoderated site) and let the worker hold it; return its id."""
    await hold_everything(client)
    comment_id = str((await post(client, **fields))["id"])
    await drain(client)
    held = await runtime_of(client).store.comments.get(comment_id)
    assert held is not None and held.status is Status.PENDING, held
    return comment_id


async def public_ids(client: Client, thread: str = "world/moderated-article") -> set[str]:
    resp = await client.get("/api/v1/comments", params={"thread": thread, "limit": "100"})
    assert resp.status == 200
    page = await resp.json()
    ids: set[str] = set()

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["status"] == "approved":
                ids.add(node["id"])
            walk(node["replies"])

    walk(page["comments"])
    return ids
