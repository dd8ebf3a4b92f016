"""Subscriptions (double opt-in) and suppressions: who asked for mail, and who must never get any.

Emails are stored in canonical form (see `canonical_email`), so one person is
one subscriber whatever case they typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.models import SubscriptionKind
from commentsvc.store.engine import Database
from commentsvc.store.tables import deliveries, subscriptions, suppressions

# SQLite allows 32,766 bound parameters; stay far below it in IN lists.
IN_CHUNK = 500

# Why an address is suppressed.
UNSUBSCRIBED_ALL = "unsubscribed_all"
BOUNCED = "bounced"
COMPLAINT = "complaint"


def canonical_email(email: str) -> str:
    """The form an address is stored and compared in: trimmed and lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    site_id: str
    thread_id: int
    email: str
    kind: SubscriptionKind
    confirmed_at: datetime | None
    created_at: datetime
    lang: str | None = None  # the reader's language for emails; None: the site's default

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


def subscription_from_row(row: RowMapping) -> Subscription:
    return Subscription(
        id=row["id"],
        site_id=row["site_id"],
        thread_id=row["thread_id"],
        email=row["email"],
        kind=SubscriptionKind(row["kind"]),
        confirmed_at=row["confirmed_at"],
        created_at=row["created_at"],
        lang=row["lang"],
    )


def insert_ignoring_duplicates(conn: AsyncConnection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on either backend."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SubscriptionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, subscription_id: int) -> Subscription | None:
        async with self.db.read() as conn:
            return await _by_id(conn, subscription_id)

    async def get_many(self, ids: Sequence[int]) -> dict[int, Subscription]:
        out: dict[int, Subscription] = {}
        async with self.db.read() as conn:
            for part in chunks(list(set(ids))):
                rows = await conn.execute(
                    sa.select(subscriptions).where(subscriptions.c.id.in_(part))
                )
                for row in rows.mappings():
                    out[row["id"]] = subscription_from_row(row)
        return out

    async def find(self, thread_id: int, email: str, kind: SubscriptionKind) -> Subscription | None:
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(subscriptions).where(
                            subscriptions.c.thread_id == thread_id,
                            subscriptions.c.email == canonical_email(email),
                            subscriptions.c.kind == kind.value,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return subscription_from_row(row) if row else None

    async def request(
        self,
        site_id: str,
        thread_id: int,
        email: str,
        kind: SubscriptionKind,
        now: datetime,
        *,
        confirmation: bool,
        lang: str | None = None,
    ) -> Subscription:
        """The subscription (made unconfirmed if new); with `confirmation`, queue its email too.

        Both happen in one transaction, so a confirmation is never queued for a
        subscription that was not stored, nor a subscription stored whose
        confirmation was meant to go and didn't. A `lang` given becomes the
        subscription's language, also when it existed (the reader's latest choice).
        """
        email = canonical_email(email)
        key = (
            subscriptions.c.thread_id == thread_id,
            subscriptions.c.email == email,
            subscriptions.c.kind == kind.value,
        )
        async with self.db.write() as conn:
            await conn.execute(
                insert_ignoring_duplicates(conn, subscriptions).values(
                    site_id=site_id,
                    thread_id=thread_id,
                    email=email,
                    kind=kind.value,
                    confirmed_at=None,
                    created_at=now,
                    lang=lang,
                )
            )
            if lang is not None:
                await conn.execute(subscriptions.update().where(*key).values(lang=lang))
            row = (await conn.execute(sa.select(subscriptions).where(*key))).mappings().one()
            sub = subscription_from_row(row)
            if confirmation and not sub.confirmed:
                await conn.execute(
                    deliveries.insert().values(
                        recipient=email,
                        comment_id=None,
                        template="confirm",
                        status="queued",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        thread_id=thread_id,
                        subscription_id=sub.id,
                    )
                )
        return sub

    async def confirm(self, subscription_id: int, now: datetime) -> Subscription | None:
        """Mark confirmed (once; confirming again changes nothing). None if it is gone."""
        async with self.db.write() as conn:
            await conn.execute(
                subscriptions.update()
                .where(
                    subscriptions.c.id == subscription_id,
                    subscriptions.c.confirmed_at.is_(None),
                )
                .values(confirmed_at=now)
            )
            return await _by_id(conn, subscription_id)

    async def delete(self, subscription_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                subscriptions.delete().where(subscriptions.c.id == subscription_id)
            )
        return bool(result.rowcount)

    async def suppress(self, email: str, reason: str, now: datetime) -> None:
        """Never mail this address again; its subscriptions go too (nothing left to honour)."""
        email = canonical_email(email)
        async with self.db.write() as conn:
            await suppress_in(conn, email, reason, now)
            await conn.execute(subscriptions.delete().where(subscriptions.c.email == email))

    async def is_suppressed(self, email: str) -> bool:
        return bool(await self.suppressed_among([email]))

    async def suppressed_among(self, emails: Iterable[str]) -> set[str]:
        wanted = sorted({canonical_email(e) for e in emails})
        found: set[str] = set()
        if not wanted:
            return found
        async with self.db.read() as conn:
            for part in chunks(wanted):
                rows = await conn.execute(
                    sa.select(suppressions.c.email).where(suppressions.c.email.in_(part))
                )
                found.update(r[0] for r in rows)
        return found

    async def confirmed(
        self, thread_id: int, kind: SubscriptionKind, emails: Sequence[str] | None = None
    ) -> list[tuple[int, str]]:
        """(id, email) of confirmed, unsuppressed subscriptions of `kind` to a thread.

        With `emails`, only subscriptions of those addresses.
        """
        query = (
            sa.select(subscriptions.c.id, subscriptions.c.email)
            .select_from(
                subscriptions.outerjoin(suppressions, suppressions.c.email == subscriptions.c.email)
            )
            .where(
                subscriptions.c.thread_id == thread_id,
                subscriptions.c.kind == kind.value,
                subscriptions.c.confirmed_at.is_not(None),
                suppressions.c.email.is_(None),
            )
            .order_by(subscriptions.c.id)
        )
        out: list[tuple[int, str]] = []
        async with self.db.read() as conn:
            if emails is None:
                out.extend((r[0], r[1]) for r in await conn.execute(query))
            else:
                wanted = sorted({canonical_email(e) for e in emails})
                for part in chunks(wanted):
                    rows = await conn.execute(query.where(subscriptions.c.email.in_(part)))
                    out.extend((r[0], r[1]) for r in rows)
        return out

    async def threads_with_confirmed(self, thread_ids: Iterable[int]) -> set[int]:
        """Which of these threads have at least one confirmed subscription (of any kind)."""
        wanted = sorted(set(thread_ids))
        if not wanted:
            return set()
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(subscriptions.c.thread_id)
                .where(
                    subscriptions.c.thread_id.in_(wanted),
                    subscriptions.c.confirmed_at.is_not(None),
                )
                .distinct()
            )
            return {int(r[0]) for r in rows}

    async def expire_unconfirmed(self, created_before: datetime) -> int:
        """Delete subscriptions never confirmed and made before `created_before`."""
        async with self.db.write() as conn:
            result = await conn.execute(
                subscriptions.delete().where(
                    subscriptions.c.confirmed_at.is_(None),
                    subscriptions.c.created_at < created_before,
                )
            )
        return int(result.rowcount or 0)


async def suppress_in(conn: AsyncConnection, email: str, reason: str, now: datetime) -> None:
    """Add a suppression inside a transaction; an existing one keeps its first reason."""
    await conn.execute(
        insert_ignoring_duplicates(conn, suppressions).values(
            email=canonical_email(email), reason=reason, created_at=now
        )
    )


async def _by_id(conn: AsyncConnection, subscription_id: int) -> Subscription | None:
    query = sa.select(subscriptions).where(subscriptions.c.id == subscription_id)
    row = (await conn.execute(query)).mappings().first()
    return subscription_from_row(row) if row else None
