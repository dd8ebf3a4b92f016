"""Signing in: cookies, brute-force limits (acceptance 6), expiry, logout, the session route."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.store.tables import api_tokens, sessions
from commentsvc.web.auth_middleware import SESSION_COOKIE
from tests.moderators.conftest import GENEROUS_LIMITS
from tests.moderators.helpers import PASSWORD, Client, add_moderator, login, token_headers
from tests.support import live_client, make_settings, runtime_of


def _set_cookie(resp: Any) -> str:
    return str(resp.headers.get("Set-Cookie", ""))


async def test_login_sets_a_strict_httponly_cookie_and_returns_a_csrf_token(
    client: Client,
) -> None:
    email = await add_moderator(client, "Ann@Example.org", role="admin", sites=("default",))
    assert email == "Ann@Example.org"
    resp = await client.post(
        "/api/v1/auth/login", json={"email": "ann@example.org", "password": PASSWORD}
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert len(body["csrf_token"]) >= 32
    assert body["moderator"] == {
        "email": "ann@example.org",
        "role": "admin",
        "sites": ["default"],
        "all_sites": False,
    }
    cookie = _set_cookie(resp)
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # served over plain http here
    assert resp.headers["Cache-Control"] == "no-store"

    # Only hashes are stored.
    token = resp.cookies[SESSION_COOKIE].value
    async with runtime_of(client).store.db.read() as conn:
        stored = (await conn.execute(sa.select(sessions))).mappings().all()
    assert len(stored) == 1
    assert token not in str(dict(stored[0])) and body["csrf_token"] not in str(dict(stored[0]))

    # The session route hands a reloaded page the same CSRF token.
    resp = await client.get("/api/v1/auth/session")
    again = await resp.json()
    assert resp.status == 200
    assert again["csrf_token"] == body["csrf_token"]
    assert again["moderator"]["email"] == "ann@example.org"


async def test_the_cookie_is_secure_behind_an_https_public_url(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_PUBLIC_URL="https://comments.example.org",
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
    )
    async with live_client(settings) as client:
        email = await add_moderator(client, "secure@example.org")
        resp = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert resp.status == 200
        assert "Secure" in _set_cookie(resp)


async def test_wrong_password_and_unknown_email_answer_alike(client: Client) -> None:
    await add_moderator(client, "known@example.org")
    answers = []
    for email in ("known@example.org", "nobody@example.org"):
        resp = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "not the password"}
        )
        answers.append((resp.status, (await resp.json())["detail"], "Set-Cookie" in resp.headers))
    assert answers[0] == answers[1] == (401, "wrong email or password", False)


async def test_the_sixth_wrong_password_in_a_minute_gets_429(client: Client) -> None:
    """Acceptance 6 (login_account = 5 per 60 s, counted over a sliding window)."""
    email = await add_moderator(client, "target@example.org")
    for attempt in range(5):
        resp = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": f"guess {attempt}"}
        )
        assert resp.status == 401, attempt
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": "guess 5"})
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    # Locked means locked: even the right password waits.
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 429
    # Another account is not affected.
    other = await add_moderator(client, "bystander@example.org")
    assert await login(client, other)


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_guessing_from_one_address_does_not_lock_the_moderator_out(
    client: Client,
) -> None:
    email = await add_moderator(client, "busy@example.org")
    for attempt in range(6):
        resp = await client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": f"guess {attempt}"},
            headers=_from("203.0.113.66"),
        )
    assert resp.status == 429  # the guesser is stopped...
    resp = await client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers=_from("198.51.100.20"),
    )
    assert resp.status == 200  # ...and the moderator, elsewhere, still gets in


async def test_guessing_from_many_addresses_meets_the_account_ceiling(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS="login_account=1/60",
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",
    )
    async with live_client(settings) as client:
        email = await add_moderator(client, "popular@example.org")
        for n in range(10):  # ACCOUNT_CEILING x 1
            resp = await client.post(
                "/api/v1/auth/login",
                json={"email": email, "password": "not it"},
                headers=_from(f"203.0.113.{n + 1}"),
            )
            assert resp.status == 401, n
        resp = await client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers=_from("198.51.100.99"),
        )
        assert resp.status == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 61


async def test_a_good_login_clears_earlier_failures(client: Client) -> None:
    email = await add_moderator(client, "typo@example.org")
    for _ in range(4):
        resp = await client.post("/api/v1/auth/login", json={"email": email, "password": "typo"})
        assert resp.status == 401
    await login(client, email)
    for _ in range(4):
        resp = await client.post("/api/v1/auth/login", json={"email": email, "password": "typo"})
        assert resp.status == 401


async def test_logins_per_address_are_limited(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS="login_ip=3/3600"
    )  # fixed windows: an hour, so no window boundary falls inside the test
    async with live_client(settings) as client:
        statuses = []
        for n in range(4):
            resp = await client.post(
                "/api/v1/auth/login", json={"email": f"u{n}@example.org", "password": "x" * 12}
            )
            statuses.append(resp.status)
        assert statuses == [401, 401, 401, 429]


async def test_bad_login_bodies_are_422_not_500(client: Client) -> None:
    for body in ({}, {"email": "a@example.org"}, {"email": 5, "password": []}, []):
        resp = await client.post("/api/v1/auth/login", json=body)
        assert resp.status == 422, body
    resp = await client.post(
        "/api/v1/auth/login",
        data="email=a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 415


async def test_an_expired_session_is_refused(client: Client) -> None:
    email = await add_moderator(client, "late@example.org")
    await login(client, email)
    assert (await client.get("/api/v1/moderation/comments")).status == 200
    async with runtime_of(client).store.db.write() as conn:
        await conn.execute(sessions.update().values(expires_at=now_utc() - timedelta(seconds=1)))
    resp = await client.get("/api/v1/moderation/comments")
    assert resp.status == 401


async def test_sessions_last_session_ttl(client: Client) -> None:
    email = await add_moderator(client, "ttl@example.org")
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    ttl_s = runtime_of(client).settings.session_ttl_s
    assert f"Max-Age={ttl_s}" in _set_cookie(resp)
    async with runtime_of(client).store.db.read() as conn:
        row = (await conn.execute(sa.select(sessions))).mappings().one()
    lifetime_s = (row["expires_at"] - row["created_at"]).total_seconds()
    assert lifetime_s == ttl_s


async def test_logout_ends_the_session(client: Client) -> None:
    email = await add_moderator(client, "bye@example.org")
    csrf = await login(client, email)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE].value

    resp = await client.post("/api/v1/auth/logout")
    assert resp.status == 403  # a cookie request without its CSRF token

    resp = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert resp.status == 204
    assert f'{SESSION_COOKIE}=""' in _set_cookie(resp) or "Max-Age=0" in _set_cookie(resp)
    # The old cookie, replayed, no longer works: the session is gone from the database.
    resp = await client.get("/api/v1/moderation/comments", cookies={SESSION_COOKIE: cookie})
    assert resp.status == 401
    async with runtime_of(client).store.db.read() as conn:
        assert (await conn.scalar(sa.select(sa.func.count()).select_from(sessions))) == 0


async def test_a_new_password_ends_sessions(client: Client) -> None:
    email = await add_moderator(client, "rotate@example.org")
    await login(client, email)
    from tests.moderators.helpers import accounts_of

    await accounts_of(client).set_password(email, "a brand new passphrase")
    assert (await client.get("/api/v1/moderation/comments")).status == 401
    assert await login(client, email, "a brand new passphrase")


async def test_api_tokens_are_stored_hashed_and_identify_the_moderator(client: Client) -> None:
    email = await add_moderator(client, "bot@example.org")
    headers = await token_headers(client, email)
    token = headers["Authorization"].removeprefix("Bearer ")
    async with runtime_of(client).store.db.read() as conn:
        rows = (await conn.execute(sa.select(api_tokens))).mappings().all()
    assert len(rows) == 1 and rows[0]["token_hash"] != token and token not in rows[0]["token_hash"]
    resp = await client.get("/api/v1/auth/session", headers=headers)
    body = await resp.json()
    assert resp.status == 200
    assert body["moderator"]["email"] == email and body["csrf_token"] is None
