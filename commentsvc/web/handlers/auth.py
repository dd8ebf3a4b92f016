"""Moderator sign-in: a session cookie (HttpOnly, SameSite=Strict) and its CSRF token."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commentsvc.auth import Principal
from commentsvc.auth.passwords import MAX_PASSWORD_CHARS
from commentsvc.validation import Fields
from commentsvc.views import rfc3339
from commentsvc.web.auth_middleware import (
    SESSION_COOKIE,
    authenticate,
    check_csrf,
    cookie_is_secure,
    session_of,
)
from commentsvc.web.handlers.public import client_of, json_response, read_json
from commentsvc.web.keys import ACCOUNTS, AUTHENTICATOR, RUNTIME


def _moderator_json(principal: Principal, sites: list[str]) -> dict[str, Any]:
    return {
        "email": principal.email,
        "role": principal.role.value,
        "sites": sites,
        "all_sites": "*" in principal.sites,
    }


def _credentials(data: Any) -> tuple[str, str]:
    f = Fields(data)
    email = f.text("email", required=True, max_chars=254)
    password = f.data.get("password")
    if not isinstance(password, str) or not password:
        f.fail("password", "is required")
        password = ""
    elif len(password) > MAX_PASSWORD_CHARS:
        f.fail("password", f"must be at most {MAX_PASSWORD_CHARS} characters")
    f.done()
    return email, password


async def login(request: web.Request) -> web.Response:
    """POST /api/v1/auth/login — sign a moderator in: session cookie plus `{csrf_token}`."""
    runtime = request.app[RUNTIME]
    accounts = request.app[ACCOUNTS]
    email, password = _credentials(await read_json(request))
    ip_hash, _ = client_of(request, runtime)
    signed_in = await request.app[AUTHENTICATOR].login(email, password, ip_hash)
    response = json_response(
        {
            "csrf_token": signed_in.csrf_token,
            "expires_at": rfc3339(signed_in.expires_at),
            "moderator": _moderator_json(
                signed_in.principal, await accounts.sites_of(signed_in.principal)
            ),
        },
        headers={"Cache-Control": "no-store"},
    )
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.session_token,
        max_age=runtime.settings.session_ttl_s,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=cookie_is_secure(request),
    )
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /api/v1/auth/logout — end this session (CSRF token required) and drop the cookie."""
    found = await session_of(request)
    if found is not None:
        cookie, auth = found
        check_csrf(request, auth)
        await request.app[AUTHENTICATOR].logout(cookie)
    response = web.Response(status=204)
    response.del_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="Strict", secure=cookie_is_secure(request)
    )
    return response


async def session(request: web.Request) -> web.Response:
    """GET /api/v1/auth/session — who is signed in, and the CSRF token of this session."""
    accounts = request.app[ACCOUNTS]
    principal = await authenticate(request)
    data: dict[str, Any] = {
        "moderator": _moderator_json(principal, await accounts.sites_of(principal)),
        "csrf_token": None,
        "expires_at": None,
    }
    found = await session_of(request) if principal.via == "session" else None
    if found is not None:
        cookie, auth = found
        data["csrf_token"] = request.app[AUTHENTICATOR].csrf_token_for(cookie)
        data["expires_at"] = rfc3339(auth.expires_at)
    return json_response(data, headers={"Cache-Control": "no-store"})
