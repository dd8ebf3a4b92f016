"""Signing moderators in: sessions with CSRF tokens, and API tokens, checked per request.

Only keyed hashes of a session id, a CSRF token or an API token are stored.
Login answers alike, and does the same work, whether or not the email exists;
it is rate-limited per address (fixed window) and per account (failed
attempts over a sliding window).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as aioredis

from commentsvc.auth.passwords import MAX_PASSWORD_CHARS, dummy_hash, verify_password
from commentsvc.auth.principal import Principal, Role
from commentsvc.auth.throttle import FailedLogins
from commentsvc.auth.tokens import API_TOKEN_PREFIX
from commentsvc.clock import now_utc
from commentsvc.config import Settings
from commentsvc.errors import RateLimited, Unauthorized
from commentsvc.ratelimit import RateLimiter
from commentsvc.security import Keys, new_token, same_hash
from commentsvc.store import Store
from commentsvc.store.moderators import ModeratorRecord, TokenState

log = logging.getLogger(__name__)

WRONG_LOGIN = "wrong email or password"
MAX_TOKEN_CHARS = 256


ACCOUNT_CEILING = 10
"""Wrong passwords for one account, from all addresses together, per window: this many
times the per-address limit (`login_account`)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the cookie value, the CSRF token for it, and when it ends."""

    session_token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class SessionAuth:
    """A live session found from its cookie."""

    principal: Principal
    csrf_hash: str
    expires_at: datetime


def principal_of(record: ModeratorRecord, via: str) -> Principal:
    return Principal(record.id, record.email, Role(record.role), record.sites, via)


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: Keys,
        limiter: RateLimiter,
        redis: aioredis.Redis,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.limiter = limiter
        self.failures = FailedLogins(redis, settings.rate_limits["login_account"].window_s)

    def _account_subject(self, email: str) -> str:
        return self.keys.mac("login", email.strip().lower())[:32]

    async def login(self, email: str, password: str, ip_hash: str) -> SignedIn:
        """Check a password and open a session; 401 if wrong, 429 when over a limit."""
        retry_after_s = await self.limiter.hit("login_ip", ip_hash)
        if retry_after_s is not None:
            raise RateLimited(
                f"too many sign-in attempts from your address; wait {retry_after_s} s",
                retry_after_s=retry_after_s,
            )
        account = self._account_subject(email)
        subject = f"{account}:{ip_hash}"
        limit = self.settings.rate_limits["login_account"]
        # Wrong passwords lock an account for the address that typed them; from
        # everywhere together it takes ACCOUNT_CEILING times as many, so nobody can
        # lock a moderator out by guessing from one place.
        for key, most in ((subject, limit.count), (account, limit.count * ACCOUNT_CEILING)):
            failed, wait_s = await self.failures.recent(key)
            if failed >= most:
                raise RateLimited(
                    f"too many wrong passwords for this account; wait {int(wait_s) + 1} s",
                    retry_after_s=int(wait_s) + 1,
                )
        record = await self.store.moderators.by_email(email)
        stored = record.password_hash if record else await asyncio.to_thread(dummy_hash)
        matches = await verify_password(password[: MAX_PASSWORD_CHARS + 1], stored)
        if record is None or not matches:
            await self.failures.record(subject)
            await self.failures.record(account)
            raise Unauthorized(WRONG_LOGIN)
        await self.failures.clear(subject)
        session_token = new_token(32)
        csrf_token = self.csrf_token_for(session_token)
        expires_at = await self.store.moderators.create_session(
            self.keys.token_hash(session_token),
            record.id,
            self.keys.token_hash(csrf_token),
            self.settings.session_ttl_s,
        )
        log.info("moderator %d signed in", record.id)
        return SignedIn(session_token, csrf_token, expires_at, principal_of(record, "session"))

    def csrf_token_for(self, session_token: str) -> str:
        """The CSRF token bound to a session (derivable again, so a reloaded page can ask)."""
        return self.keys.mac("csrf", session_token)

    def csrf_ok(self, auth: SessionAuth, header: str | None) -> bool:
        if not header or len(header) > MAX_TOKEN_CHARS:
            return False
        return same_hash(self.keys.token_hash(header), auth.csrf_hash)

    async def session(self, session_token: str) -> SessionAuth | None:
        """The live session behind a cookie value; None if unknown or expired."""
        if not session_token or len(session_token) > MAX_TOKEN_CHARS:
            return None
        found = await self.store.moderators.session(self.keys.token_hash(session_token))
        if found is None:
            return None
        return SessionAuth(
            principal_of(found.moderator, "session"), found.csrf_hash, found.expires_at
        )

    async def logout(self, session_token: str) -> None:
        if session_token and len(session_token) <= MAX_TOKEN_CHARS:
            await self.store.moderators.delete_session(self.keys.token_hash(session_token))

    async def from_api_token(self, token: str) -> Principal | None:
        """The moderator behind a live API token; None if unknown, 401 if expired or revoked.

        Each call reads the token's row, so a revocation counts from the next request."""
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
            return None
        found = await self.store.moderators.use_token(self.keys.token_hash(token))
        if found is None:
            return None
        state = found.token.state(now_utc())
        if state is TokenState.REVOKED:
            raise Unauthorized("that API token has been revoked")
        if state is TokenState.EXPIRED:
            raise Unauthorized("that API token has expired; ask an admin for a new one")
        return principal_of(found.moderator, "token")
