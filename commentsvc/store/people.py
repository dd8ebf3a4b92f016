"""Everything stored under one email address: read it all, or erase it in one transaction.

Comments keep the address as the reader typed it (the domain lower-cased),
subscriptions, deliveries and suppressions keep it canonical; every query
here compares the canonical (lower-cased) form, so `Pat@example.org` and
`pat@example.org` are one person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.models import Comment, Status, Thread
from commentsvc.store.corrections import Correction, reported_by
from commentsvc.store.deliveries import Delivery, delivery_from_row
from commentsvc.store.engine import Database
from commentsvc.store.records import Transition, TransitionResult, comment_from_row, thread_from_row
from commentsvc.store.subscriptions import (
    Subscription,
    canonical_email,
    chunks,
    subscription_from_row,
)
from commentsvc.store.tables import (
    comments,
    corrections,
    deliveries,
    events,
    subscriptions,
    suppressions,
    threads,
    webhook_deliveries,
)
from commentsvc.store.transitions import (
    apply_transitions,  # the transition path, in our transaction
)


@dataclass(frozen=True, slots=True)
class PersonRecords:
    """What the store holds under one address (and the public replies to its comments)."""

    email: str
    comments: list[Comment]
    replies: list[Comment]
    subscriptions: list[Subscription]
    deliveries: list[Delivery]
    threads: dict[int, Thread]
    suppression: tuple[str, datetime] | None = None
    corrections: list[Correction] = field(default_factory=list)  # reports of an error


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure changed: the transitions (for live events and caches) and counts."""

    results: list[TransitionResult] = field(default_factory=list)
    comments_missed: int = 0  # changed meanwhile; erasing again finishes them
    subscriptions: int = 0
    deliveries: int = 0
    suppressions: int = 0


# Given the comments under an address, the transitions that erase them.
Plan = Callable[[Sequence[Comment]], list[Transition]]
# Given an erased comment and one audit note on it, what the note becomes.
NoteScrub = Callable[[Comment, str], str]


def _of(email: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(comments.c.author_email) == canonical_email(email)


class PeopleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def is_known(self, email: str) -> bool:
        """Whether any comment or subscription is stored under the address."""
        email = canonical_email(email)
        async with self.db.read() as conn:
            found = await conn.scalar(sa.select(comments.c.id).where(_of(email)).limit(1))
            if found is None:
                found = await conn.scalar(
                    sa.select(subscriptions.c.id).where(subscriptions.c.email == email).limit(1)
                )
        return found is not None

    async def records(self, email: str) -> PersonRecords:
        email = canonical_email(email)
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(comments).where(_of(email)).order_by(comments.c.created_at, comments.c.id)
            )
            own = [comment_from_row(r) for r in rows.mappings()]
            own_ids = [c.id for c in own]
            replies: list[Comment] = []
            for part in chunks(own_ids):
                rows = await conn.execute(
                    sa.select(comments)
                    .where(
                        comments.c.parent_id.in_(part),
                        comments.c.status == Status.APPROVED.value,
                        sa.or_(comments.c.author_email.is_(None), sa.not_(_of(email))),
                    )
                    .order_by(comments.c.created_at, comments.c.id)
                )
                replies.extend(comment_from_row(r) for r in rows.mappings())
            rows = await conn.execute(
                sa.select(subscriptions)
                .where(subscriptions.c.email == email)
                .order_by(subscriptions.c.id)
            )
            subs = [subscription_from_row(r) for r in rows.mappings()]
            rows = await conn.execute(
                sa.select(deliveries)
                .where(sa.func.lower(deliveries.c.recipient) == email)
                .order_by(deliveries.c.id)
            )
            sent = [delivery_from_row(r) for r in rows.mappings()]
            suppressed = (
                await conn.execute(
                    sa.select(suppressions.c.reason, suppressions.c.created_at).where(
                        suppressions.c.email == email
                    )
                )
            ).first()
            reports = await reported_by(conn, email)
            thread_ids = sorted({c.thread_id for c in own} | {s.thread_id for s in subs})
            found: dict[int, Thread] = {}
            for id_part in chunks(thread_ids):
                rows = await conn.execute(sa.select(threads).where(threads.c.id.in_(id_part)))
                found.update({r["id"]: thread_from_row(r) for r in rows.mappings()})
        return PersonRecords(
            email=email,
            comments=own,
            replies=replies,
            subscriptions=subs,
            deliveries=sent,
            threads=found,
            suppression=(suppressed[0], suppressed[1]) if suppressed else None,
            corrections=reports,
        )

    async def erase(self, email: str, plan: Plan, scrub_note: NoteScrub) -> Erased:
        """Erase the address everywhere, in one transaction.

        Comments change through the ordinary transition path (audit event, thread
        counts and version); their older audit notes are scrubbed, their webhook
        deliveries deleted; subscriptions, deliveries and the suppression of the address
        are deleted.
        """
        email = canonical_email(email)
        async with self.db.write() as conn:
            query = sa.select(comments).where(_of(email)).order_by(comments.c.id)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            own = [comment_from_row(r) for r in (await conn.execute(query)).mappings()]
            by_id = {c.id: c for c in own}
            # Notes written before this erasure (a moderator's edit keeps the previous text).
            if own:
                await _scrub_notes(conn, by_id, scrub_note)
                await _drop_webhook_deliveries(conn, sorted(by_id))
            transitions = plan(own)
            outcome = await apply_transitions(conn, transitions) if transitions else []
            results = [r for r in outcome if r is not None]
            subs = await conn.execute(subscriptions.delete().where(subscriptions.c.email == email))
            sent = await conn.execute(
                deliveries.delete().where(sa.func.lower(deliveries.c.recipient) == email)
            )
            held = await conn.execute(suppressions.delete().where(suppressions.c.email == email))
            # Reports of an error (issue 16) keep their passage and note, not the reporter.
            await conn.execute(
                corrections.update()
                .where(corrections.c.reporter_email == email)
                .values(reporter_email=None, ip_hash=None, user_agent="")
            )
        return Erased(
            results=results,
            comments_missed=len(transitions) - len(results),
            subscriptions=int(subs.rowcount or 0),
            deliveries=int(sent.rowcount or 0),
            suppressions=int(held.rowcount or 0),
        )


async def _drop_webhook_deliveries(conn: AsyncConnection, comment_ids: list[str]) -> None:
    """The webhook deliveries of these comments' events (their payloads hold the author's
    name and an excerpt): gone from the history, and never sent or redelivered."""
    for part in chunks(comment_ids):
        keys = sa.select(sa.literal("e") + sa.cast(events.c.id, sa.String)).where(
            events.c.comment_id.in_(part)
        )
        await conn.execute(
            webhook_deliveries.delete().where(webhook_deliveries.c.event_key.in_(keys))
        )


async def _scrub_notes(
    conn: AsyncConnection, by_id: dict[str, Comment], scrub_note: NoteScrub
) -> None:
    for part in chunks(sorted(by_id)):
        rows = await conn.execute(
            sa.select(events.c.id, events.c.comment_id, events.c.note).where(
                events.c.comment_id.in_(part), events.c.note != ""
            )
        )
        changes = [
            {"b_id": r[0], "b_note": new}
            for r in rows
            if (new := scrub_note(by_id[r[1]], r[2])) != r[2]
        ]
        if changes:
            await conn.execute(
                events.update()
                .where(events.c.id == sa.bindparam("b_id"))
                .values(note=sa.bindparam("b_note")),
                changes,
            )
