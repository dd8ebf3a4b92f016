"""Bans on email, ip hash, domain or name, per site, optionally expiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.store.engine import Database
from commentsvc.store.tables import bans


@dataclass(frozen=True, slots=True)
class Ban:
    id: int
    site_id: str
    kind: str
    value: str
    reason: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime


class BanStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def active(self, site_id: str) -> list[Ban]:
        """Bans in force now for a site."""
        now = now_utc()
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(bans)
                        .where(
                            bans.c.site_id == site_id,
                            sa.or_(bans.c.expires_at.is_(None), bans.c.expires_at > now),
                        )
                        .order_by(bans.c.id)
                    )
                )
                .mappings()
                .all()
            )
        return [Ban(**dict(r)) for r in rows]

    async def add(
        self,
        site_id: str,
        kind: str,
        value: str,
        reason: str = "",
        expires_at: datetime | None = None,
        created_by: str = "",
    ) -> Ban:
        now = now_utc()
        async with self.db.write() as conn:
            result = await conn.execute(
                bans.insert().values(
                    site_id=site_id,
                    kind=kind,
                    value=value,
                    reason=reason,
                    expires_at=expires_at,
                    created_by=created_by,
                    created_at=now,
                )
            )
            ban_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Ban(ban_id, site_id, kind, value, reason, expires_at, created_by, now)

    async def remove(self, ban_id: int) -> bool:
        async with self.db.write() as conn:
            return (await conn.execute(bans.delete().where(bans.c.id == ban_id))).rowcount == 1
