"""Moderator accounts and their credentials: sessions and API tokens (hashes only)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.clock import now_utc
from commentsvc.store.engine import Database
from commentsvc.store.tables import api_tokens, moderators, sessions

# An API token's last_used_at is written at most this often per token: a listing is accurate
# to a minute, and a busy token costs one write a minute, not one per request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ModeratorRecord:
    id: int
    email: str
    password_hash: str
    role: str
    sites: tuple[str, ...]
    notify_pending: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    moderator: ModeratorRecord
    csrf_hash: str
    expires_at: datetime


class TokenState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored: never the token itself, and its hash is not carried here."""

    id: int
    moderator_id: int
    email: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenState.EXPIRED
        return TokenState.ACTIVE


@dataclass(frozen=True, slots=True)
class TokenUse:
    """What an API token found: its moderator and the token (in any state)."""

    moderator: ModeratorRecord
    token: TokenRecord


def _moderator(row: RowMapping) -> ModeratorRecord:
    return ModeratorRecord(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        role=row["role"],
        sites=tuple(row["sites"] or ()),
        notify_pending=bool(row["notify_pending"]),
        created_at=row["created_at"],
    )


_TOKEN_COLUMNS = (
    api_tokens.c.id.label("token_id"),
    api_tokens.c.moderator_id,
    api_tokens.c.label,
    api_tokens.c.created_at.label("token_created_at"),
    api_tokens.c.expires_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


def _token(row: RowMapping) -> TokenRecord:
    return TokenRecord(
        id=row["token_id"],
        moderator_id=row["moderator_id"],
        email=row["email"],
        label=row["label"],
        created_at=row["token_created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


def _live(now: datetime) -> sa.ColumnElement[bool]:
    """Tokens that still let their holder in at `now`."""
    return sa.and_(
        api_tokens.c.revoked_at.is_(None),
        sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
    )


class ModeratorStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- accounts ---------------------------------------------------------

    async def add(
        self, email: str, password_hash: str, role: str, sites: Sequence[str]
    ) -> ModeratorRecord:
        now = now_utc()
        async with self.db.write() as conn:
            result = await conn.execute(
                moderators.insert().values(
                    email=email,
                    password_hash=password_hash,
                    role=role,
                    sites=list(sites),
                    created_at=now,
                )
            )
            moderator_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return ModeratorRecord(moderator_id, email, password_hash, role, tuple(sites), False, now)

    async def update(
        self,
        moderator_id: int,
        *,
        password_hash: str | None = None,
        role: str | None = None,
        sites: Sequence[str] | None = None,
        notify_pending: bool | None = None,
        sign_out: bool = False,
    ) -> int:
        """Change an account. A new password, or `sign_out`, also ends every session and
        revokes every API token of theirs, in the same transaction; returns how many
        tokens that revoked."""
        values: dict[str, Any] = {}
        if notify_pending is not None:
            values["notify_pending"] = notify_pending
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role
        if sites is not None:
            values["sites"] = list(sites)
        if not values and not sign_out:
            return 0
        async with self.db.write() as conn:
            if values:
                await conn.execute(
                    moderators.update().where(moderators.c.id == moderator_id).values(**values)
                )
            if password_hash is None and not sign_out:
                return 0
            await conn.execute(sessions.delete().where(sessions.c.moderator_id == moderator_id))
            return await _revoke(conn, moderator_id, now_utc())

    async def remove(self, moderator_id: int) -> bool:
        """Delete an account with its sessions and API tokens; False if it was gone."""
        async with self.db.write() as conn:
            await conn.execute(sessions.delete().where(sessions.c.moderator_id == moderator_id))
            await conn.execute(api_tokens.delete().where(api_tokens.c.moderator_id == moderator_id))
            result = await conn.execute(moderators.delete().where(moderators.c.id == moderator_id))
            return result.rowcount == 1

    async def by_email(self, email: str) -> ModeratorRecord | None:
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(moderators).where(
                            sa.func.lower(moderators.c.email) == email.strip().lower()
                        )
                    )
                )
                .mappings()
                .first()
            )
        return _moderator(row) if row else None

    async def all(self) -> list[ModeratorRecord]:
        async with self.db.read() as conn:
            rows = (
                (await conn.execute(sa.select(moderators).order_by(moderators.c.email)))
                .mappings()
                .all()
            )
        return [_moderator(r) for r in rows]

    # ----- sessions ---------------------------------------------------------

    async def create_session(
        self, token_hash: str, moderator_id: int, csrf_hash: str, ttl_s: int
    ) -> datetime:
        """Store a new session (and drop expired ones); return when it expires."""
        now = now_utc()
        expires_at = now + timedelta(seconds=ttl_s)
        async with self.db.write() as conn:
            await conn.execute(sessions.delete().where(sessions.c.expires_at <= now))
            await conn.execute(
                sessions.insert().values(
                    token_hash=token_hash,
                    moderator_id=moderator_id,
                    csrf_hash=csrf_hash,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return expires_at

    async def session(self, token_hash: str) -> SessionRecord | None:
        """The live session with this token hash, with its moderator; None if gone or expired."""
        query = (
            sa.select(
                moderators, sessions.c.csrf_hash, sessions.c.expires_at.label("session_expires")
            )
            .join(sessions, sessions.c.moderator_id == moderators.c.id)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now_utc())
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        return SessionRecord(_moderator(row), row["csrf_hash"], row["session_expires"])

    async def delete_session(self, token_hash: str) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                sessions.delete().where(sessions.c.token_hash == token_hash)
            )
            return result.rowcount == 1

    # ----- API tokens -------------------------------------------------------

    async def add_token(
        self,
        moderator_id: int,
        token_hash: str,
        *,
        label: str = "",
        expires_at: datetime | None = None,
    ) -> int:
        """Store a new token's hash; return the token's id."""
        async with self.db.write() as conn:
            result = await conn.execute(
                api_tokens.insert().values(
                    moderator_id=moderator_id,
                    token_hash=token_hash,
                    label=label,
                    expires_at=expires_at,
                    created_at=now_utc(),
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def use_token(self, token_hash: str) -> TokenUse | None:
        """The token with this hash and its moderator, whatever its state; None if unknown.

        A live token's last_used_at is moved to now when it is older than
        TOKEN_TOUCH_EVERY. The update is a compare-and-set on that condition, so
        many processes using one token at once still write at most once a minute."""
        query = (
            sa.select(moderators, *_TOKEN_COLUMNS)
            .join(api_tokens, api_tokens.c.moderator_id == moderators.c.id)
            .where(api_tokens.c.token_hash == token_hash)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        now = now_utc()
        found = TokenUse(_moderator(row), _token(row))
        last = found.token.last_used_at
        if found.token.state(now) is not TokenState.ACTIVE or (
            last is not None and now - last < TOKEN_TOUCH_EVERY
        ):
            return found
        async with self.db.write() as conn:
            await conn.execute(
                api_tokens.update()
                .where(
                    api_tokens.c.id == found.token.id,
                    sa.or_(
                        api_tokens.c.last_used_at.is_(None),
                        api_tokens.c.last_used_at <= now - TOKEN_TOUCH_EVERY,
                    ),
                )
                .values(last_used_at=now)
            )
        return found

    async def tokens(
        self, moderator_id: int | None = None, *, include_inactive: bool = False
    ) -> list[TokenRecord]:
        """Tokens of one moderator (or of everyone), oldest first; live ones only unless
        `include_inactive`."""
        query = sa.select(moderators.c.email, *_TOKEN_COLUMNS).select_from(
            api_tokens.join(moderators, moderators.c.id == api_tokens.c.moderator_id)
        )
        if moderator_id is not None:
            query = query.where(api_tokens.c.moderator_id == moderator_id)
        if not include_inactive:
            query = query.where(_live(now_utc()))
        async with self.db.read() as conn:
            rows = (
                (await conn.execute(query.order_by(moderators.c.email, api_tokens.c.id)))
                .mappings()
                .all()
            )
        return [_token(r) for r in rows]

    async def revoke_token(self, moderator_id: int, token_id: int) -> bool:
        """Revoke one live token of this moderator; False if it is not theirs or not live."""
        now = now_utc()
        async with self.db.write() as conn:
            result = await conn.execute(
                api_tokens.update()
                .where(
                    api_tokens.c.id == token_id,
                    api_tokens.c.moderator_id == moderator_id,
                    _live(now),
                )
                .values(revoked_at=now)
            )
            return result.rowcount == 1

    async def revoke_tokens(self, moderator_id: int) -> int:
        """Revoke every live token of this moderator; return how many."""
        async with self.db.write() as conn:
            return await _revoke(conn, moderator_id, now_utc())


async def _revoke(conn: AsyncConnection, moderator_id: int, now: datetime) -> int:
    result = await conn.execute(
        api_tokens.update()
        .where(api_tokens.c.moderator_id == moderator_id, _live(now))
        .values(revoked_at=now)
    )
    return int(result.rowcount)
