"""Deliveries: one row per email to send, written before it is sent.

A row is unique per (recipient, comment), so fanning a comment out twice
writes nothing new. Rows are claimed for sending with a lease (their
`next_attempt_at` moves past the lease), so a notifier that dies mid-send
leaves its rows to be claimed again once the lease runs out: an email may at
worst be repeated, never lost.

Throttle (`store.throttle`): per recipient and thread, at most one email per
window; a row inside the window of the last email joins a digest group that
falls due when the window closes. Moderators' alerts read from `store.alerts`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from commentsvc.store.engine import Database
from commentsvc.store.subscriptions import (
    BOUNCED,
    chunks,
    insert_ignoring_duplicates,
    suppress_in,
)
from commentsvc.store.tables import comments, deliveries, threads
from commentsvc.store.throttle import assign_slots, digest_closes_at


class Template(enum.StrEnum):
    """What a row is about: the email it becomes."""

    CONFIRM = "confirm"
    THREAD = "thread"
    REPLY = "reply"
    APPROVED = "approved"
    MODERATORS = "moderators"
    MINE = "mine"
    WEBHOOK_DISABLED = "webhook_disabled"
    CORRECTION_CONFIRM = "correction_confirm"  # a reporter confirms their address (issue 16)
    CORRECTED = "corrected"  # their report led to a correction


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


CONFIRM, THREAD, REPLY = Template.CONFIRM, Template.THREAD, Template.REPLY
APPROVED, MODERATORS = Template.APPROVED, Template.MODERATORS
THROTTLED = (THREAD, REPLY)
QUEUED, SENT = DeliveryStatus.QUEUED, DeliveryStatus.SENT
FAILED, SUPPRESSED = DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED

ERROR_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    recipient: str
    comment_id: str | None
    template: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    digest_group: str | None
    created_at: datetime
    thread_id: int | None
    subscription_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


def delivery_from_row(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        recipient=row["recipient"],
        comment_id=row["comment_id"],
        template=row["template"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        digest_group=row["digest_group"],
        created_at=row["created_at"],
        thread_id=row["thread_id"],
        subscription_id=row["subscription_id"],
        data=dict(row["data"] or {}),
    )


@dataclass(frozen=True, slots=True)
class Planned:
    """An email a comment should cause, before the throttle has placed it."""

    recipient: str
    template: str
    subscription_id: int | None = None
    throttled: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one send (a single row, or every row of a digest)."""

    ids: tuple[int, ...]
    status: str
    error: str | None = None
    retry_at: datetime | None = None
    suppress: str | None = None  # an address that bounced permanently
    waited: bool = False  # put off (its comment is held again): the claim was no attempt


class DeliveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, delivery_id: int) -> Delivery | None:
        async with self.db.read() as conn:
            row = (
                (await conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)))
                .mappings()
                .first()
            )
        return delivery_from_row(row) if row else None

    async def fan_out(
        self,
        comment_id: str,
        thread_id: int,
        planned: Sequence[Planned],
        window_s: int,
        now: datetime,
    ) -> int:
        """Write the rows a comment causes and mark it notified, in one transaction.

        Returns how many rows were planned; 0 if the comment was fanned out before
        (by this or another notifier), in which case nothing is written.
        """
        async with self.db.write() as conn:
            pg = conn.dialect.name == "postgresql"
            # On PostgreSQL, lock in the order transitions do (the comment, then its thread),
            # so the two never deadlock; the thread lock makes fan-outs in one thread take
            # turns, which the throttle needs. SQLite writers take turns anyway.
            notified = sa.select(comments.c.notified_at).where(comments.c.id == comment_id)
            row = (
                await conn.execute(notified.with_for_update(key_share=True) if pg else notified)
            ).first()
            if row is None or row[0] is not None:
                return 0
            if pg:
                await conn.execute(
                    sa.select(threads.c.id)
                    .where(threads.c.id == thread_id)
                    .with_for_update(key_share=True)
                )
            throttled = [p.recipient for p in planned if p.throttled]
            history: list[tuple[str, str | None, datetime]] = []
            if throttled and window_s > 0:
                wanted = set(throttled)
                rows = await conn.execute(
                    sa.select(
                        deliveries.c.recipient, deliveries.c.digest_group, deliveries.c.created_at
                    ).where(
                        deliveries.c.thread_id == thread_id,
                        deliveries.c.created_at > now - timedelta(seconds=2 * window_s),
                        deliveries.c.template.in_(THROTTLED),
                        deliveries.c.status.in_((QUEUED, SENT)),
                    )
                )
                history = [(r[0], r[1], r[2]) for r in rows if r[0] in wanted]
            slots = assign_slots(history, throttled, thread_id, now, window_s)
            values = []
            for p in planned:
                group = slots.get(p.recipient) if p.throttled else None
                values.append(
                    {
                        "recipient": p.recipient,
                        "comment_id": comment_id,
                        "template": p.template,
                        "status": QUEUED,
                        "attempts": 0,
                        "next_attempt_at": (digest_closes_at(group) or now) if group else now,
                        "digest_group": group,
                        "created_at": now,
                        "thread_id": thread_id,
                        "subscription_id": p.subscription_id,
                    }
                )
            for part in chunks(values, 2000):
                await conn.execute(insert_ignoring_duplicates(conn, deliveries), list(part))
            await conn.execute(
                comments.update()
                .where(comments.c.id == comment_id, comments.c.notified_at.is_(None))
                .values(notified_at=now)
            )
        return len(values)

    async def add(
        self,
        recipient: str,
        template: str,
        now: datetime,
        *,
        thread_id: int | None = None,
        subscription_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Queue one email that is about no single comment (a moderator alert)."""
        async with self.db.write() as conn:
            result = await conn.execute(
                deliveries.insert().values(
                    recipient=recipient,
                    comment_id=None,
                    template=template,
                    status=QUEUED,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    thread_id=thread_id,
                    subscription_id=subscription_id,
                    data=data,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def claim_due(self, now: datetime, limit: int, lease_s: float) -> list[Delivery]:
        """Take up to `limit` due rows (whole digest groups) for sending, under a lease.

        Claimed rows count an attempt and are not due again until the lease runs
        out; settling them (sent, retry, failed) replaces the lease.
        """
        lease_until = now + timedelta(seconds=lease_s)
        async with self.db.read() as conn:  # most polls find nothing: don't take the write lock
            due = await conn.scalar(
                sa.select(deliveries.c.id)
                .where(deliveries.c.status == QUEUED, deliveries.c.next_attempt_at <= now)
                .limit(1)
            )
        if due is None:
            return []
        async with self.db.write() as conn:
            pg = conn.dialect.name == "postgresql"
            query = (
                sa.select(deliveries)
                .where(deliveries.c.status == QUEUED, deliveries.c.next_attempt_at <= now)
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(limit)
            )
            if pg:
                query = query.with_for_update(skip_locked=True)
            rows = list((await conn.execute(query)).mappings())
            groups = {(r["recipient"], r["digest_group"]) for r in rows if r["digest_group"]}
            if groups:
                taken = {r["id"] for r in rows}
                names = sorted({g for _, g in groups})
                for part in chunks(names):
                    more = (
                        sa.select(deliveries)
                        .where(
                            deliveries.c.status == QUEUED,
                            # never a row another notifier holds under its lease (nor
                            # one waiting for a retry): only rows never tried, or due
                            sa.or_(deliveries.c.attempts == 0, deliveries.c.next_attempt_at <= now),
                            deliveries.c.digest_group.in_(part),
                            deliveries.c.recipient.in_(sorted({r for r, _ in groups})),
                        )
                        .order_by(deliveries.c.id)
                    )
                    if pg:
                        more = more.with_for_update(skip_locked=True)
                    for r in (await conn.execute(more)).mappings():
                        if r["id"] not in taken and (r["recipient"], r["digest_group"]) in groups:
                            rows.append(r)
                            taken.add(r["id"])
            ids = [r["id"] for r in rows]
            for part in chunks(ids):
                await conn.execute(
                    deliveries.update()
                    .where(deliveries.c.id.in_(part))
                    .values(next_attempt_at=lease_until, attempts=deliveries.c.attempts + 1)
                )
        return [
            dataclasses.replace(
                delivery_from_row(r), attempts=r["attempts"] + 1, next_attempt_at=lease_until
            )
            for r in rows
        ]

    async def renew_lease(
        self, row_ids: Collection[int], until: datetime, new_until: datetime
    ) -> set[int]:
        """Extend the lease on rows still queued under the lease `until` (compare-and-set:
        a row another notifier claimed since has another lease); the ids renewed."""
        held: set[int] = set()
        async with self.db.write() as conn:
            for part in chunks(sorted(row_ids)):
                mine = [
                    deliveries.c.id.in_(part),
                    deliveries.c.status == QUEUED,
                    deliveries.c.next_attempt_at == until,
                ]
                query = sa.select(deliveries.c.id).where(*mine)
                if conn.dialect.name == "postgresql":  # a claim in flight finishes first
                    query = query.with_for_update()
                found = await conn.execute(query)
                ids = [r[0] for r in found]
                if ids:
                    await conn.execute(
                        deliveries.update()
                        .where(deliveries.c.id.in_(ids))
                        .values(next_attempt_at=new_until)
                    )
                held.update(ids)
        return held

    async def settle(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Record what became of claimed rows: one statement for them all, one transaction."""
        if not outcomes:
            return
        params = []
        for o in outcomes:
            sent = o.status == SENT
            error = None if sent else _cut(o.error)
            retry_at = o.retry_at if o.status == QUEUED else None
            for row_id in o.ids:
                params.append(
                    {
                        "b_id": row_id,
                        "b_status": o.status,
                        "b_sent_at": now if sent else None,
                        "b_next": retry_at,
                        "b_error": error,
                        "b_undo": int(o.waited),  # the claim counted an attempt: undo it
                    }
                )
        bounced = sorted({o.suppress for o in outcomes if o.suppress})
        async with self.db.write() as conn:
            await conn.execute(_SETTLE, params)
            for email in bounced:
                await suppress_in(conn, email, BOUNCED, now)

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(deliveries.c.status, sa.func.count()).group_by(deliveries.c.status)
            )
            return {r[0]: int(r[1]) for r in rows}

    async def next_due_at(self) -> datetime | None:
        """When the earliest queued row falls due (None if nothing is queued)."""
        async with self.db.read() as conn:
            value = await conn.scalar(
                sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(
                    deliveries.c.status == QUEUED
                )
            )
        if value is None:
            return None
        if isinstance(value, str):  # SQLite aggregates lose the column type
            value = datetime.fromisoformat(value)
        result: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
        return result


# Settling many rows is one executemany of one compiled statement.
_SETTLE = (
    deliveries.update()
    .where(deliveries.c.id == sa.bindparam("b_id"), deliveries.c.status == QUEUED)
    .values(
        status=sa.bindparam("b_status"),
        sent_at=sa.bindparam("b_sent_at", type_=deliveries.c.sent_at.type),
        next_attempt_at=sa.bindparam("b_next", type_=deliveries.c.next_attempt_at.type),
        last_error=sa.bindparam("b_error"),
        attempts=deliveries.c.attempts - sa.bindparam("b_undo"),
    )
)


def _cut(error: str | None) -> str | None:
    if error is None or len(error) <= ERROR_MAX_CHARS:
        return error
    return error[: ERROR_MAX_CHARS - 1] + "…"
