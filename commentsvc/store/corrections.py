"""The corrections desk in the database (issue 16): readers' private reports of an error.

A correction is never a comment: it has its own table, is never part of a thread
read, and only its outcome (a corrected passage, its date and public note) is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.models import Anchor
from commentsvc.store.engine import Database
from commentsvc.store.tables import corrections, threads


class CorrectionStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    NOT_AN_ERROR = "not_an_error"
    DUPLICATE = "duplicate"
    SPAM = "spam"  # the honeypot was filled, or the reporter is banned: never shown


@dataclass(frozen=True, slots=True)
class Correction:
    id: int
    site_id: str
    thread_id: int
    thread_key: str
    thread_title: str
    thread_url: str
    anchor: Anchor
    note: str
    reporter_email: str | None
    lang: str
    ip_hash: str | None
    status: CorrectionStatus
    public_note: str
    decided_by: str | None
    decided_at: datetime | None
    email_confirmed_at: datetime | None
    notified_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CorrectedPassage:
    """What the public sees of a correction: the passage, when, and the newsroom's note."""

    id: int
    anchor: Anchor
    public_note: str
    corrected_at: datetime


def _from_row(row: RowMapping) -> Correction:
    return Correction(
        id=row["id"],
        site_id=row["site_id"],
        thread_id=row["thread_id"],
        thread_key=row["thread_key"],
        thread_title=row["thread_title"],
        thread_url=row["thread_url"],
        anchor=Anchor(**row["anchor"]),
        note=row["note"],
        reporter_email=row["reporter_email"],
        lang=row["lang"],
        ip_hash=row["ip_hash"],
        status=CorrectionStatus(row["status"]),
        public_note=row["public_note"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        email_confirmed_at=row["email_confirmed_at"],
        notified_at=row["notified_at"],
        created_at=row["created_at"],
    )


_SELECT = sa.select(
    corrections,
    threads.c.key.label("thread_key"),
    threads.c.title.label("thread_title"),
    threads.c.url.label("thread_url"),
).select_from(corrections.join(threads, threads.c.id == corrections.c.thread_id))


class CorrectionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        site_id: str,
        thread_id: int,
        anchor: Anchor,
        note: str,
        reporter_email: str | None,
        lang: str,
        ip_hash: str | None,
        user_agent: str,
        status: CorrectionStatus,
        now: datetime,
    ) -> Correction:
        async with self.db.write() as conn:
            result = await conn.execute(
                corrections.insert()
                .values(
                    site_id=site_id,
                    thread_id=thread_id,
                    anchor=anchor.to_json(),
                    note=note,
                    reporter_email=reporter_email,
                    lang=lang,
                    ip_hash=ip_hash,
                    user_agent=user_agent,
                    status=status.value,
                    created_at=now,
                )
                .returning(corrections.c.id)
            )
            new_id = int(result.scalar_one())
            row = (await conn.execute(_SELECT.where(corrections.c.id == new_id))).mappings().one()
        return _from_row(row)

    async def get(self, correction_id: int) -> Correction | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(_SELECT.where(corrections.c.id == correction_id)))
                .mappings()
                .first()
            )
        return _from_row(row) if row else None

    async def listing(
        self,
        site_id: str,
        status: CorrectionStatus | None,
        *,
        limit: int = 50,
        after_id: int | None = None,
    ) -> list[Correction]:
        """Reports on a site, oldest first; `status` None is every one but spam."""
        query = _SELECT.where(corrections.c.site_id == site_id)
        if status is None:
            query = query.where(corrections.c.status != CorrectionStatus.SPAM.value)
        else:
            query = query.where(corrections.c.status == status.value)
        if after_id is not None:
            query = query.where(corrections.c.id > after_id)
        query = query.order_by(corrections.c.id).limit(limit)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_from_row(r) for r in rows]

    async def count_open(self, site_id: str) -> int:
        async with self.db.read() as conn:
            n = await conn.scalar(
                sa.select(sa.func.count()).where(
                    corrections.c.site_id == site_id,
                    corrections.c.status == CorrectionStatus.OPEN.value,
                )
            )
        return int(n or 0)

    async def decide(
        self,
        correction_id: int,
        status: CorrectionStatus,
        public_note: str,
        actor: str,
        now: datetime,
    ) -> Correction | None:
        """Record a moderator's decision (a later one replaces it). None if there is no report."""
        values: dict[str, Any] = {
            "status": status.value,
            "decided_by": actor,
            "decided_at": now,
            "public_note": public_note if status is CorrectionStatus.CORRECTED else "",
        }
        async with self.db.write() as conn:
            await conn.execute(
                corrections.update().where(corrections.c.id == correction_id).values(**values)
            )
        return await self.get(correction_id)

    async def confirm_email(self, correction_id: int, now: datetime) -> Correction | None:
        """The reporter confirmed their address (once; again changes nothing)."""
        async with self.db.write() as conn:
            await conn.execute(
                corrections.update()
                .where(
                    corrections.c.id == correction_id,
                    corrections.c.reporter_email.is_not(None),
                    corrections.c.email_confirmed_at.is_(None),
                )
                .values(email_confirmed_at=now)
            )
        return await self.get(correction_id)

    async def claim_notification(self, correction_id: int, now: datetime) -> bool:
        """Compare-and-set: True exactly once for a corrected report with a confirmed address."""
        async with self.db.write() as conn:
            result = await conn.execute(
                corrections.update()
                .where(
                    corrections.c.id == correction_id,
                    corrections.c.status == CorrectionStatus.CORRECTED.value,
                    corrections.c.reporter_email.is_not(None),
                    corrections.c.email_confirmed_at.is_not(None),
                    corrections.c.notified_at.is_(None),
                )
                .values(notified_at=now)
            )
        return bool(result.rowcount)

    async def corrected(self, thread_id: int, limit: int = 200) -> list[CorrectedPassage]:
        """A thread's corrected passages, oldest correction first (no reporter data)."""
        query = (
            sa.select(
                corrections.c.id,
                corrections.c.anchor,
                corrections.c.public_note,
                corrections.c.decided_at,
            )
            .where(
                corrections.c.thread_id == thread_id,
                corrections.c.status == CorrectionStatus.CORRECTED.value,
            )
            .order_by(corrections.c.decided_at, corrections.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            CorrectedPassage(
                id=r["id"],
                anchor=Anchor(**r["anchor"]),
                public_note=r["public_note"],
                corrected_at=r["decided_at"],
            )
            for r in rows
        ]


async def reported_by(conn: AsyncConnection, email: str) -> list[Correction]:
    """Every report left with this (canonical) address, oldest first: for data rights."""
    query = _SELECT.where(corrections.c.reporter_email == email).order_by(corrections.c.id)
    return [_from_row(r) for r in (await conn.execute(query)).mappings()]
