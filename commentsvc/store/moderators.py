"""Moderator accounts and their credentials: sessions and API tokens (hashes only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from commentsvc.store.engine import Database
from commentsvc.store.tables import api_tokens, moderators, now_utc, sessions

# An API token's last_used_at is written at most this often (a write per request would be waste).
TOKEN_TOUCH_EVERY = timedelta(minutes=5)


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
    ) -> None:
        values: dict[str, Any] = {}
        if notify_pending is not None:
            values["notify_pending"] = notify_pending
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role
        if sites is not None:
            values["sites"] = list(sites)
        if not values:
            return
        async with self.db.write() as conn:
            await conn.execute(
                moderators.update().where(moderators.c.id == moderator_id).values(**values)
            )
            if password_hash is not None:  # a new password signs every session out
                await conn.execute(sessions.delete().where(sessions.c.moderator_id == moderator_id))

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

    async def add_token(self, moderator_id: int, token_hash: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                api_tokens.insert().values(
                    moderator_id=moderator_id, token_hash=token_hash, created_at=now_utc()
                )
            )

    async def by_token(self, token_hash: str) -> ModeratorRecord | None:
        """The moderator an API token belongs to; notes when it was last used."""
        query = (
            sa.select(moderators, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.moderator_id == moderators.c.id)
            .where(api_tokens.c.token_hash == token_hash)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        now = now_utc()
        last = row["last_used_at"]
        if last is None or now - last > TOKEN_TOUCH_EVERY:
            async with self.db.write() as conn:
                await conn.execute(
                    api_tokens.update()
                    .where(api_tokens.c.id == row["token_id"])
                    .values(last_used_at=now)
                )
        return _moderator(row)

    async def revoke_tokens(self, moderator_id: int) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                api_tokens.delete().where(api_tokens.c.moderator_id == moderator_id)
            )
            return int(result.rowcount)
