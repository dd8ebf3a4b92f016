"""Threads: one per article, with approved counts and a version bumped on every public change."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from commentsvc.clock import now_utc
from commentsvc.models import Thread
from commentsvc.store.engine import Database
from commentsvc.store.records import thread_from_row
from commentsvc.store.tables import threads


class ThreadStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, site_id: str, key: str) -> Thread | None:
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(threads).where(threads.c.site_id == site_id, threads.c.key == key)
                    )
                )
                .mappings()
                .first()
            )
        return thread_from_row(row) if row else None

    async def get_by_id(self, thread_id: int) -> Thread | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(sa.select(threads).where(threads.c.id == thread_id)))
                .mappings()
                .first()
            )
        return thread_from_row(row) if row else None

    async def ensure(self, site_id: str, key: str, url: str = "", title: str = "") -> Thread:
        """The thread for (site, key), made on first use; url and title kept from the first post."""
        found = await self.get(site_id, key)
        if found is not None:
            if (url and not found.url) or (title and not found.title):
                await self._fill_in(found, url, title)
                return await self.get(site_id, key) or found
            return found
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    threads.insert().values(
                        site_id=site_id, key=key, url=url, title=title, created_at=now_utc()
                    )
                )
        except IntegrityError:
            pass  # another request created it first
        created = await self.get(site_id, key)
        if created is None:  # pragma: no cover - just inserted or raced
            raise RuntimeError(f"thread {site_id}/{key} vanished")
        return created

    async def _fill_in(self, thread: Thread, url: str, title: str) -> None:
        values = {}
        if url and not thread.url:
            values["url"] = url
        if title and not thread.title:
            values["title"] = title
        async with self.db.write() as conn:
            await conn.execute(
                threads.update()
                .where(threads.c.id == thread.id)
                .values(**values, version=threads.c.version + 1)
            )

    async def counts(self, site_id: str, keys: Sequence[str]) -> dict[str, int]:
        """Approved counts (feedback included) for each key; unknown keys count 0."""
        out = dict.fromkeys(keys, 0)
        if not keys:
            return out
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(threads.c.key, threads.c.count).where(
                    threads.c.site_id == site_id, threads.c.key.in_(list(set(keys)))
                )
            )
            for key, count in rows:
                out[key] = count
        return out

    async def set_closed(self, site_id: str, key: str, closed: bool) -> Thread | None:
        async with self.db.write() as conn:
            await conn.execute(
                threads.update()
                .where(threads.c.site_id == site_id, threads.c.key == key)
                .values(closed=closed, version=threads.c.version + 1)
            )
        return await self.get(site_id, key)
