"""Sites: id, name, allowed origins, policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.models import Site
from commentsvc.store.engine import Database
from commentsvc.store.records import site_from_row
from commentsvc.store.tables import sites


class SiteStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, site_id: str) -> Site | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(sa.select(sites).where(sites.c.id == site_id)))
                .mappings()
                .first()
            )
        return site_from_row(row) if row else None

    async def all(self) -> list[Site]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(sites).order_by(sites.c.id))).mappings().all()
        return [site_from_row(r) for r in rows]

    async def add(
        self,
        site_id: str,
        name: str,
        allowed_origins: list[str],
        policy: dict[str, Any] | None = None,
    ) -> Site:
        async with self.db.write() as conn:
            await conn.execute(
                sites.insert().values(
                    id=site_id,
                    name=name,
                    allowed_origins=allowed_origins,
                    policy=policy or {},
                    mail={},
                    created_at=now_utc(),
                )
            )
        return Site(site_id, name, tuple(allowed_origins), policy or {})

    async def change_policy(
        self, site_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Store `change(stored policy)` in one write transaction (the row locked on
        PostgreSQL, the database on SQLite), so two changes at once never lose one;
        None when there is no such site. An exception from `change` changes nothing."""
        async with self.db.write() as conn:
            stored = await conn.scalar(
                sa.select(sites.c.policy).where(sites.c.id == site_id).with_for_update()
            )
            if stored is None:
                return None
            new = change(dict(stored))
            await conn.execute(sites.update().where(sites.c.id == site_id).values(policy=new))
        return new

    async def update(
        self,
        site_id: str,
        *,
        name: str | None = None,
        allowed_origins: list[str] | None = None,
        policy: dict[str, Any] | None = None,
    ) -> Site | None:
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = name
        if allowed_origins is not None:
            values["allowed_origins"] = allowed_origins
        if policy is not None:
            values["policy"] = policy
        if values:
            async with self.db.write() as conn:
                await conn.execute(sites.update().where(sites.c.id == site_id).values(**values))
        return await self.get(site_id)
