"""Who may call the moderation API: a session cookie (plus CSRF) or an API token.

`moderator_only` wraps a handler taking `(request, principal)`:
- `Authorization: Bearer <api token>` → that token's moderator; no CSRF needed
  (a browser on another site can't attach the header without a CORS grant,
  and the moderation API grants none); an expired or revoked token is a 401
  (its row is read on every request, so revoking takes effect at once);
- else the `commentsvc_session` cookie → its moderator, and every unsafe
  request must also send the session's `X-CSRF-Token`;
- neither → 401. Site checks (403) happen in `Decisions`, which knows which
  site each comment, ban or policy belongs to.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from commentsvc.auth import Accounts, Authenticator, Principal, SessionAuth
from commentsvc.errors import Forbidden, Unauthorized
from commentsvc.review.decisions import Decisions
from commentsvc.web.handlers.public import bearer_token
from commentsvc.web.keys import ACCOUNTS, AUTHENTICATOR, DECISIONS, RUNTIME

SESSION_COOKIE = "commentsvc_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ModeratorHandler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


async def session_of(request: web.Request) -> tuple[str, SessionAuth] | None:
    """The live session behind the request's cookie, with the cookie value."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return None
    found = await request.app[AUTHENTICATOR].session(cookie)
    return (cookie, found) if found is not None else None


def check_csrf(request: web.Request, auth: SessionAuth) -> None:
    authenticator = request.app[AUTHENTICATOR]
    if request.method not in SAFE_METHODS and not authenticator.csrf_ok(
        auth, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"send the CSRF token you got at sign-in as {CSRF_HEADER}")


async def authenticate(request: web.Request) -> Principal:
    """The moderator making this request; 401 without valid credentials, 403 without CSRF."""
    if "Authorization" in request.headers:
        token = bearer_token(request)
        principal = await request.app[AUTHENTICATOR].from_api_token(token) if token else None
        if principal is None:
            raise Unauthorized("that API token is not valid (send Authorization: Bearer <token>)")
        return principal
    found = await session_of(request)
    if found is None:
        if request.cookies.get(SESSION_COOKIE):
            raise Unauthorized("your session has ended; sign in again")
        raise Unauthorized(
            "sign in first (POST /api/v1/auth/login) or send Authorization: Bearer <api token>"
        )
    _, auth = found
    check_csrf(request, auth)
    return auth.principal


def moderator_only(handler: ModeratorHandler) -> Handler:
    """Wrap a moderation handler: authenticate first, and keep responses out of caches."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        principal = await authenticate(request)
        response = await handler(request, principal)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    wrapper.moderator_only = True  # type: ignore[attr-defined]
    return wrapper


def cookie_is_secure(request: web.Request) -> bool:
    public_https = request.app[RUNTIME].settings.resolved_public_url.startswith("https://")
    return public_https or request.secure


async def moderation_context(app: web.Application) -> AsyncIterator[None]:
    """Accounts and Decisions for this app, after the runtime; waits for purges at shutdown."""
    runtime = app[RUNTIME]
    app[ACCOUNTS] = Accounts(runtime.store, runtime.keys)
    app[AUTHENTICATOR] = Authenticator(
        runtime.settings, runtime.store, runtime.keys, runtime.limiter, runtime.redis
    )
    decisions = Decisions(runtime.service)
    app[DECISIONS] = decisions
    yield
    await decisions.close()
