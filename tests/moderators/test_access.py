"""Acceptance 1 and 2: every moderation route wants credentials, a site it may touch, and CSRF.

The routes are read from the live router, so a route added later is checked
without anyone editing this file.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commentsvc.web.auth_middleware import SESSION_COOKIE
from tests.moderators.helpers import (
    Client,
    add_moderator,
    login,
    moderator_token,
    post_held,
    token_headers,
)
from tests.support import runtime_of
from tests.web.helpers import assert_problem

GUARDED = ("/api/v1/moderation/", "/api/v1/sites/")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def guarded_routes(app: web.Application) -> list[tuple[str, str]]:
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("path") or info.get("formatter") or "")
        if route.method not in ("HEAD", "OPTIONS") and path.startswith(GUARDED):
            out.append((route.method, path))
    return sorted(out)


async def _fixtures(client: Client) -> dict[str, str]:
    """Things on site `default` that the routes can point at."""
    comment_id = await post_held(client)
    ban = await runtime_of(client).store.bans.add("default", "name", "Spammer")
    resp = await client.post(
        "/api/v1/corrections",
        json={"thread": "world/access", "anchor": {"quote": "a passage"}, "note": "Wrong."},
    )
    assert resp.status == 202, await resp.text()
    [report] = await runtime_of(client).store.corrections.listing("default", None)
    return {"comment": comment_id, "ban": str(ban.id), "correction": str(report.id)}


def _request(method: str, path: str, things: dict[str, str]) -> tuple[str, Any]:
    """The concrete URL and a body that involves site `default` for one route."""
    url = path.replace("{site}", "default")
    if "{id}" in url:
        kind = "ban" if "/bans/" in path else "correction" if "/corrections/" in path else "comment"
        url = url.replace("{id}", things[kind])
    assert "{" not in url, f"teach this test the path parameter of {path}"
    body: Any = None
    if method in UNSAFE:
        body = {
            "site": "default",
            "ids": [things["comment"]],
            "action": "approve",
            "body": "An edited text.",
            "kind": "email",
            "value": "someone@example.org",
            "mode": "premoderate",
        }
        if path.endswith("/policy"):
            body = {"mode": "premoderate"}
    if method == "GET" and "{" not in path:
        url += "?site=default"
    return url, body


async def test_every_moderation_route_needs_credentials_and_the_right_site(client: Client) -> None:
    routes = guarded_routes(client.server.app)  # type: ignore[arg-type]
    assert len(routes) >= 12, routes
    things = await _fixtures(client)
    outsider = await moderator_token(client, "outsider@example.org", role="admin", sites=("other",))
    insider = await moderator_token(client, "insider@example.org", role="admin", sites=("default",))
    await runtime_of(client).store.sites.add("other", "Other", [])
    for method, path in routes:
        url, body = _request(method, path, things)
        resp = await client.request(method, url, json=body)
        assert resp.status == 401, (method, path, await resp.text())
        assert_problem(401, await resp.json(), resp.content_type)

        resp = await client.request(
            method, url, json=body, headers={"Authorization": "Bearer nope"}
        )
        assert resp.status == 401, (method, path)

        resp = await client.request(method, url, json=body, headers=outsider)
        assert resp.status == 403, (method, path, await resp.text())
        assert_problem(403, await resp.json(), resp.content_type)

    # The same requests from a moderator of the site get past the guard; a person's data
    # spans sites, so their export and erasure need an admin of every site (test_mine).
    everywhere = await moderator_token(client, "chief@example.org", role="admin")
    for method, path in routes:
        if method == "DELETE":
            continue  # would lift the ban the others point at; covered in test_bans
        url, body = _request(method, path, things)
        headers = everywhere if "/people/" in path else insider
        resp = await client.request(method, url, json=body, headers=headers)
        assert resp.status not in (401, 403), (method, path, await resp.text())


async def test_a_plain_moderator_may_not_touch_policy(client: Client) -> None:
    headers = await moderator_token(client, "mod@example.org", sites=("default",))
    resp = await client.get("/api/v1/sites/default/policy", headers=headers)
    assert resp.status == 403
    resp = await client.put("/api/v1/sites/default/policy", json={}, headers=headers)
    assert resp.status == 403


async def test_cookie_requests_need_the_csrf_token(client: Client) -> None:
    email = await add_moderator(client, "cookie@example.org")
    comment_id = await post_held(client)
    csrf = await login(client, email)
    url = f"/api/v1/moderation/comments/{comment_id}/decision"

    # Reading with the cookie alone is fine.
    resp = await client.get("/api/v1/moderation/comments")
    assert resp.status == 200

    resp = await client.post(url, json={"action": "approve"})
    assert resp.status == 403
    assert "X-CSRF-Token" in (await resp.json())["detail"]

    resp = await client.post(url, json={"action": "approve"}, headers={"X-CSRF-Token": "forged"})
    assert resp.status == 403

    other_session_csrf = runtime_of(client).keys.mac("csrf", "some-other-session")
    resp = await client.post(
        url, json={"action": "approve"}, headers={"X-CSRF-Token": other_session_csrf}
    )
    assert resp.status == 403

    resp = await client.post(url, json={"action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "approved"


async def test_an_api_token_works_without_csrf(client: Client) -> None:
    email = await add_moderator(client, "robot@example.org")
    headers = await token_headers(client, email)
    comment_id = await post_held(client)
    resp = await client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "reject", "note": "off topic"},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["status"] == "rejected" and body["decided_by"] == email


async def test_a_bad_bearer_does_not_fall_back_to_the_cookie(client: Client) -> None:
    email = await add_moderator(client, "both@example.org")
    await login(client, email)
    resp = await client.get("/api/v1/moderation/comments", headers={"Authorization": "Bearer x"})
    assert resp.status == 401
    client.session.cookie_jar.clear()
    resp = await client.get(
        "/api/v1/moderation/comments", cookies={SESSION_COOKIE: "not-a-session"}
    )
    assert resp.status == 401
    assert "sign in again" in (await resp.json())["detail"]


async def test_moderation_responses_are_not_cached_and_not_cors(client: Client) -> None:
    headers = await moderator_token(client, "cache@example.org")
    resp = await client.get(
        "/api/v1/moderation/comments",
        headers={**headers, "Origin": "https://elsewhere.example"},
    )
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in resp.headers
