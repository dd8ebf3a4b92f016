"""What moderators' alerts (the notifier's housekeeping) read: who wants them, when one
was last queued for an address, and which comments went pending since."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from commentsvc.models import Status
from commentsvc.store.engine import Database
from commentsvc.store.tables import comments, deliveries, events, moderators


@dataclass(frozen=True, slots=True)
class ModeratorContact:
    id: int
    email: str
    role: str
    sites: tuple[str, ...]
    created_at: datetime


class AlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def moderators_wanting_alerts(self) -> list[ModeratorContact]:
        """Moderators who asked to be mailed about pending comments (read-only)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(
                    moderators.c.id,
                    moderators.c.email,
                    moderators.c.role,
                    moderators.c.sites,
                    moderators.c.created_at,
                )
                .where(moderators.c.notify_pending.is_(True))
                .order_by(moderators.c.id)
            )
            return [ModeratorContact(r[0], r[1], r[2], tuple(r[3] or ()), r[4]) for r in rows]

    async def last_created(self, recipient: str, template: str) -> datetime | None:
        async with self.db.read() as conn:
            value = await conn.scalar(
                sa.select(deliveries.c.created_at)
                .where(deliveries.c.recipient == recipient, deliveries.c.template == template)
                .order_by(deliveries.c.created_at.desc())
                .limit(1)
            )
        return value

    async def newly_pending(
        self, since: datetime, site_ids: Sequence[str] | None, limit: int
    ) -> tuple[list[str], int]:
        """Comments that went pending after `since`: ids (oldest first, at most `limit`), total.

        `site_ids` None means every site.
        """
        went_pending = sa.exists().where(
            events.c.comment_id == comments.c.id,
            events.c.to_status == Status.PENDING.value,
            events.c.at > since,
        )
        where = [comments.c.status == Status.PENDING.value, went_pending]
        if site_ids is not None:
            where.append(comments.c.site_id.in_(list(site_ids)))
        async with self.db.read() as conn:
            total = int(await conn.scalar(sa.select(sa.func.count()).where(*where)) or 0)
            rows = await conn.execute(
                sa.select(comments.c.id).where(*where).order_by(comments.c.id).limit(limit)
            )
            return [r[0] for r in rows], total
