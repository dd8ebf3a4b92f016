"""Webhook endpoints and deliveries (issue 14): one row per (event, endpoint), never two.

The dispatcher reads the audit trail (`events`, the outbox every transition already
writes in its own transaction) past a cursor and turns each event into one delivery row
per endpoint that wants it; the unique (event_key, endpoint_id) constraint makes a second
pass write nothing. Thread closes have no audit event: they are written here directly.
Rows are claimed under a lease like email deliveries, so a sender that dies mid-send
leaves its rows to be claimed again.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from commentsvc.models import Status, Thread
from commentsvc.store.engine import Database
from commentsvc.store.records import EventRecord
from commentsvc.store.subscriptions import insert_ignoring_duplicates
from commentsvc.store.tables import (
    comments,
    events,
    moderators,
    webhook_cursor,
    webhook_deliveries,
    webhook_endpoints,
)
from commentsvc.store.tables import (
    sites as sites_table,
)
from commentsvc.store.webhook_records import (
    ERROR_MAX_CHARS,
    QUEUED,
    SENT,
    Endpoint,
    Planned,
    WebhookDelivery,
    delivery_from_row,
    endpoint_from_row,
)

CURSOR = "webhooks"


class TooManyEndpoints(Exception):
    """The site has as many webhook endpoints as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a site has at most {limit} webhook endpoints")
        self.limit = limit


class WebhookStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- endpoints ----------------------------------------------------------------------

    async def add_endpoint(
        self,
        site_id: str,
        url: str,
        event_types: Sequence[str],
        fmt: str,
        *,
        allow_private: bool,
        created_by: str,
        now: datetime,
        max_per_site: int | None = None,
    ) -> Endpoint:
        """The new endpoint; TooManyEndpoints if the site has `max_per_site` already (counted
        in the insert's transaction, the site's row locked: two at once can't pass it)."""
        async with self.db.write() as conn:
            if max_per_site is not None:
                await conn.execute(
                    sa.select(sites_table.c.id).where(sites_table.c.id == site_id).with_for_update()
                )
                count = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(webhook_endpoints)
                    .where(webhook_endpoints.c.site_id == site_id)
                )
                if (count or 0) >= max_per_site:
                    raise TooManyEndpoints(max_per_site)
            result = await conn.execute(
                webhook_endpoints.insert().values(
                    site_id=site_id,
                    url=url,
                    events=list(event_types),
                    format=fmt,
                    secret_salt=secrets.token_hex(16),
                    allow_private=allow_private,
                    enabled=True,
                    failures=0,
                    disabled_reason="",
                    created_by=created_by,
                    created_at=now,
                )
            )
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        found = await self.endpoint(new_id)
        assert found is not None
        return found

    async def endpoint(self, endpoint_id: int) -> Endpoint | None:
        async with self.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
                    )
                )
                .mappings()
                .first()
            )
        return endpoint_from_row(row) if row else None

    async def endpoints(self, site_id: str | None = None) -> list[Endpoint]:
        query = sa.select(webhook_endpoints).order_by(webhook_endpoints.c.id)
        if site_id is not None:
            query = query.where(webhook_endpoints.c.site_id == site_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [endpoint_from_row(r) for r in rows]

    async def update_endpoint(self, endpoint_id: int, **values: Any) -> Endpoint | None:
        if values:
            async with self.db.write() as conn:
                await conn.execute(
                    webhook_endpoints.update()
                    .where(webhook_endpoints.c.id == endpoint_id)
                    .values(**values)
                )
        return await self.endpoint(endpoint_id)

    async def enable(self, endpoint_id: int) -> Endpoint | None:
        """Enable again: failures start from nought; waiting deliveries go out again."""
        return await self.update_endpoint(
            endpoint_id, enabled=True, failures=0, disabled_at=None, disabled_reason=""
        )

    async def delete_endpoint(self, endpoint_id: int) -> bool:
        async with self.db.write() as conn:
            await conn.execute(
                webhook_deliveries.delete().where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            done = await conn.execute(
                webhook_endpoints.delete().where(webhook_endpoints.c.id == endpoint_id)
            )
        return bool(done.rowcount)

    async def record_attempt(
        self, endpoint_id: int, ok: bool, disable_after: int, now: datetime, reason: str
    ) -> bool:
        """Count a success (failures back to 0) or a failure; True when this failure is the
        one that disables the endpoint (compare-and-set: only one sender says so)."""
        ep = webhook_endpoints
        async with self.db.write() as conn:
            if ok:
                await conn.execute(ep.update().where(ep.c.id == endpoint_id).values(failures=0))
                return False
            await conn.execute(
                ep.update().where(ep.c.id == endpoint_id).values(failures=ep.c.failures + 1)
            )
            done = await conn.execute(
                ep.update()
                .where(
                    ep.c.id == endpoint_id,
                    ep.c.enabled.is_(True),
                    ep.c.failures >= disable_after,
                )
                .values(enabled=False, disabled_at=now, disabled_reason=reason[:ERROR_MAX_CHARS])
            )
            return done.rowcount == 1

    # ----- dispatching --------------------------------------------------------------------

    async def cursor(self) -> int:
        async with self.db.read() as conn:
            value = await conn.scalar(
                sa.select(webhook_cursor.c.last_event_id).where(webhook_cursor.c.name == CURSOR)
            )
        return int(value or 0)

    async def has_cursor(self) -> bool:
        async with self.db.read() as conn:
            found = await conn.scalar(
                sa.select(webhook_cursor.c.name).where(webhook_cursor.c.name == CURSOR)
            )
        return found is not None

    async def max_event_id(self, before: datetime | None = None) -> int:
        query = sa.select(sa.func.max(events.c.id))
        if before is not None:
            query = query.where(events.c.at < before)
        async with self.db.read() as conn:
            return int(await conn.scalar(query) or 0)

    async def events_after(self, after_id: int, limit: int) -> list[tuple[EventRecord, str]]:
        """Audit events past the cursor, oldest first, with each comment's site."""
        return await self._events(events.c.id > after_id, limit)

    async def recent_events(
        self, upto_id: int, since: datetime, limit: int
    ) -> list[tuple[EventRecord, str]]:
        """Events at or before the cursor from the last moments: a transaction that took an
        id before a later one may commit after it (PostgreSQL), so they are read again."""
        return await self._events(sa.and_(events.c.id <= upto_id, events.c.at >= since), limit)

    async def _events(self, where: Any, limit: int) -> list[tuple[EventRecord, str]]:
        query = (
            sa.select(events, comments.c.site_id)
            .join(comments, comments.c.id == events.c.comment_id)
            .where(where)
            .order_by(events.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        out = []
        for r in rows:
            data = dict(r)
            site = data.pop("site_id")
            out.append((EventRecord(**data), site))
        return out

    async def plan(self, planned: Sequence[Planned], now: datetime, cursor: int | None) -> int:
        """Write planned deliveries (a duplicate writes nothing) and move the cursor, in one
        transaction; returns how many were planned."""
        async with self.db.write() as conn:
            written = 0
            if planned:
                await conn.execute(
                    insert_ignoring_duplicates(conn, webhook_deliveries),
                    [
                        {
                            "endpoint_id": p.endpoint_id,
                            "event_key": p.event_key,
                            "event": p.event,
                            "payload": p.payload,
                            "status": QUEUED,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for p in planned
                    ],
                )
                written = len(planned)
            if cursor is not None:
                moved = await conn.execute(
                    webhook_cursor.update()
                    .where(webhook_cursor.c.name == CURSOR, webhook_cursor.c.last_event_id < cursor)
                    .values(last_event_id=cursor)
                )
                if moved.rowcount == 0:
                    await conn.execute(
                        insert_ignoring_duplicates(conn, webhook_cursor).values(
                            name=CURSOR, last_event_id=cursor
                        )
                    )
        return written

    async def thread_closed(self, thread: Thread, payload: dict[str, Any], now: datetime) -> int:
        """One `thread.closed` delivery per endpoint of the thread's site that wants it
        (`payload`: `webhooks.events.thread_closed_payload`)."""
        wanted = [
            e
            for e in await self.endpoints(thread.site_id)
            if "thread.closed" in e.events and e.created_at <= now
        ]
        if not wanted:
            return 0
        return await self.plan(
            [
                Planned(e.id, f"t{thread.id}.{thread.version}", "thread.closed", payload)
                for e in wanted
            ],
            now,
            None,
        )

    # ----- sending ------------------------------------------------------------------------

    async def claim_due(
        self, now: datetime, limit: int, lease_s: float
    ) -> list[tuple[WebhookDelivery, Endpoint]]:
        """Take due rows of enabled endpoints under a lease (next_attempt_at moves on)."""
        d, ep = webhook_deliveries, webhook_endpoints
        query = (
            sa.select(d.c.id, d.c.next_attempt_at)
            .join(ep, ep.c.id == d.c.endpoint_id)
            .where(d.c.status == QUEUED, d.c.next_attempt_at <= now, ep.c.enabled.is_(True))
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        until = now + timedelta(seconds=lease_s)
        async with self.db.write() as conn:
            found = (await conn.execute(query)).all()
            taken: list[int] = []
            for row_id, due in found:
                done = await conn.execute(
                    d.update()
                    .where(d.c.id == row_id, d.c.status == QUEUED, d.c.next_attempt_at == due)
                    .values(next_attempt_at=until)
                )
                if done.rowcount == 1:
                    taken.append(row_id)
            if not taken:
                return []
            rows = (
                (
                    await conn.execute(
                        sa.select(d, *[c.label("ep_" + c.name) for c in ep.c])
                        .join(ep, ep.c.id == d.c.endpoint_id)
                        .where(d.c.id.in_(taken))
                        .order_by(d.c.id)
                    )
                )
                .mappings()
                .all()
            )
        out = []
        for r in rows:
            ep_row = {k[3:]: v for k, v in r.items() if k.startswith("ep_")}
            out.append((delivery_from_row(r), endpoint_from_row(ep_row)))  # type: ignore[arg-type]
        return out

    async def settle(
        self,
        delivery_id: int,
        *,
        status: str,
        attempts: int,
        now: datetime,
        retry_at: datetime | None = None,
        error: str | None = None,
        response_status: int | None = None,
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.id == delivery_id)
                .values(
                    status=status,
                    attempts=attempts,
                    next_attempt_at=retry_at,
                    last_error=error[:ERROR_MAX_CHARS] if error else None,
                    response_status=response_status,
                    sent_at=now if status == SENT else None,
                )
            )

    async def deliveries(
        self, endpoint_id: int | None = None, limit: int = 50
    ) -> list[WebhookDelivery]:
        query = sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if endpoint_id is not None:
            query = query.where(webhook_deliveries.c.endpoint_id == endpoint_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [delivery_from_row(r) for r in rows]

    async def redeliver(self, delivery_id: int, now: datetime) -> bool:
        """Queue a failed (or sent) delivery again, by hand."""
        async with self.db.write() as conn:
            done = await conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.id == delivery_id)
                .values(status=QUEUED, next_attempt_at=now, last_error=None)
            )
        return bool(done.rowcount)

    async def pending_count(self, site_id: str) -> int:
        async with self.db.read() as conn:
            value = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(comments)
                .where(comments.c.site_id == site_id, comments.c.status == Status.PENDING.value)
            )
        return int(value or 0)

    async def admins_of(self, site_id: str) -> list[str]:
        """Addresses of admin moderators of the site (or of every site)."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(moderators.c.email, moderators.c.sites).where(
                        moderators.c.role == "admin"
                    )
                )
            ).all()
        out = []
        for email, sites in rows:
            listed = list(sites or [])
            if not listed or "*" in listed or site_id in listed:
                out.append(str(email))
        return out
