"""The webhook worker: dispatch events into deliveries, send what is due, retry, disable.

- `dispatch` reads the audit trail past its cursor (and again the last `LAG` of it: on
  PostgreSQL an event can commit after a later one), and writes one `webhook_deliveries`
  row per (event, endpoint) in the same transaction that moves the cursor. The unique
  constraint makes a repeat write nothing, so a crash or a second worker never doubles a
  delivery; the events are the database's own, so nothing is lost across restarts.
- `send_due` claims due rows under a lease, POSTs each (signed, with a timeout, to a
  checked address, no redirects), and records the outcome: `sent` on a 2xx; else queued
  again after the next step of the retry schedule, and `failed` (kept for inspection and
  `commentsvc webhook redeliver`) once the schedule is spent. A crash between the
  receiver's 2xx and that record can repeat a delivery (same `X-Commentsvc-Delivery`),
  never lose one.
- An endpoint whose requests fail `disable_after` times in a row is disabled: its
  deliveries wait (not lost) until an admin enables it again, and each admin moderator of
  its site is emailed through the notifier's deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp
import orjson

from commentsvc.clock import now_utc
from commentsvc.config import Settings
from commentsvc.models import Thread
from commentsvc.security import Keys
from commentsvc.store import Store
from commentsvc.store.deliveries import Template
from commentsvc.store.webhook_records import (
    FAILED,
    QUEUED,
    SENT,
    Endpoint,
    Planned,
    WebhookDelivery,
)
from commentsvc.webhooks import events as ev
from commentsvc.webhooks import signing
from commentsvc.webhooks.guard import (
    CheckedResolver,
    Refused,
    address_allowed,
    check_url,
    ip_literal,
    pinned,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# About 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h: a day and a bit, then `failed`.
DEFAULT_RETRY_SCHEDULE_S: tuple[float, ...] = (10.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0)
RETRY_JITTER = 0.1
DISABLE_AFTER = 15
"""Requests failed in a row (over all of an endpoint's deliveries) before it is disabled."""
TIMEOUT_S = 10.0
LAG = timedelta(seconds=60)
BATCH = 200
LEASE_S = 60.0
POLL_INTERVAL_S = 1.0
CONCURRENCY = 8
USER_AGENT = "commentsvc-webhooks/1"
ALERT_TEMPLATE = Template.WEBHOOK_DISABLED


class WebhookWorker:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: Keys,
        *,
        clock: Clock = now_utc,
        retry_schedule_s: Sequence[float] = DEFAULT_RETRY_SCHEDULE_S,
        jitter: float = RETRY_JITTER,
        disable_after: int = DISABLE_AFTER,
        timeout_s: float = TIMEOUT_S,
        lease_s: float = LEASE_S,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.clock = clock
        self.retry_schedule_s = tuple(retry_schedule_s)
        self.jitter = jitter
        self.disable_after = disable_after
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.lease_s = lease_s
        self.poll_interval_s = poll_interval_s
        self.public_url = settings.resolved_public_url
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._sending = asyncio.Semaphore(CONCURRENCY)

    # ----- dispatch -----------------------------------------------------------------------

    async def dispatch(self) -> int:
        """Turn new audit events into delivery rows; returns how many were planned."""
        now = self.clock()
        store = self.store.webhooks
        cursor = await store.cursor()
        endpoints = await store.endpoints()
        if cursor == 0 and not await store.has_cursor():
            # First run: skip the history from before the oldest endpoint existed.
            oldest = min((e.created_at for e in endpoints), default=None)
            cursor = await store.max_event_id(before=oldest - LAG if oldest else None)
            await store.plan([], now, cursor)
        planned = 0
        fresh = await store.events_after(cursor, BATCH)
        recent = await store.recent_events(cursor, now - LAG, BATCH)
        found = recent + fresh
        if not endpoints:
            if fresh:
                await store.plan([], now, fresh[-1][0].id)
            return 0
        by_site: dict[str, list[Endpoint]] = {}
        for e in endpoints:
            by_site.setdefault(e.site_id, []).append(e)
        wanted = [
            (record, site, kind)
            for record, site in found
            if (kind := ev.event_type(record)) is not None and site in by_site
        ]
        comments = {
            c.id: c
            for c in await self.store.comments.get_many(
                sorted({r.comment_id for r, _, _ in wanted})
            )
        }
        threads: dict[int, Thread | None] = {}
        pending: dict[str, int] = {}
        rows: list[Planned] = []
        for record, site, kind in wanted:
            comment = comments.get(record.comment_id)
            if comment is None:
                continue
            if comment.thread_id not in threads:
                threads[comment.thread_id] = await self.store.threads.get_by_id(comment.thread_id)
            if site not in pending:
                pending[site] = await store.pending_count(site)
            payload = ev.comment_payload(
                kind, record, comment, threads[comment.thread_id], self.public_url, pending[site]
            )
            for endpoint in by_site[site]:
                if kind in endpoint.events and record.at >= endpoint.created_at:
                    rows.append(Planned(endpoint.id, f"e{record.id}", kind, payload))
        planned = len(rows)
        await store.plan(rows, now, fresh[-1][0].id if fresh else None)
        return planned

    # ----- sending ------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Send every due delivery once; returns how many were tried."""
        claimed = await self.store.webhooks.claim_due(self.clock(), BATCH, self.lease_s)
        if not claimed:
            return 0
        sites = {s.id: s for s in await self.store.sites.all()}
        await asyncio.gather(
            *(
                self._deliver(d, e, sites[e.site_id].name if e.site_id in sites else "")
                for d, e in claimed
            )
        )
        return len(claimed)

    def body_of(self, delivery: WebhookDelivery, endpoint: Endpoint, site_name: str) -> bytes:
        if endpoint.format == "slack":
            return orjson.dumps(ev.slack_payload(delivery.payload, site_name))
        return orjson.dumps(delivery.payload)

    async def _deliver(self, delivery: WebhookDelivery, endpoint: Endpoint, site_name: str) -> None:
        body = self.body_of(delivery, endpoint, site_name)
        secret = signing.endpoint_secret(self.keys, endpoint.id, endpoint.secret_salt)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.signature(secret, timestamp, body),
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: delivery.event_key,
        }
        status: int | None = None
        error: str | None = None
        async with self._sending:
            try:
                status = await self._post(endpoint, body, headers)
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except Refused as exc:
                error = f"refused: {exc}"
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500] or "request failed"
        now = self.clock()
        attempts = delivery.attempts + 1
        ok = error is None
        if ok:
            await self.store.webhooks.settle(
                delivery.id, status=SENT, attempts=attempts, now=now, response_status=status
            )
        elif attempts <= len(self.retry_schedule_s):
            delay = self.retry_schedule_s[attempts - 1]
            delay *= 1 + random.uniform(-self.jitter, self.jitter) if self.jitter else 1
            await self.store.webhooks.settle(
                delivery.id,
                status=QUEUED,
                attempts=attempts,
                now=now,
                retry_at=now + timedelta(seconds=max(0.0, delay)),
                error=error,
                response_status=status,
            )
        else:
            await self.store.webhooks.settle(
                delivery.id,
                status=FAILED,
                attempts=attempts,
                now=now,
                error=error,
                response_status=status,
            )
        disabled = await self.store.webhooks.record_attempt(
            endpoint.id, ok, self.disable_after, now, error or ""
        )
        if disabled:
            log.warning(
                "webhook endpoint %d disabled after %d failures", endpoint.id, self.disable_after
            )
            await self.alert_admins(endpoint, error or "", now)

    async def _post(self, endpoint: Endpoint, body: bytes, headers: dict[str, str]) -> int:
        check_url(endpoint.url)  # a URL stored before it was checked fails alone, as refused
        host = urlsplit(endpoint.url).hostname or ""
        literal = ip_literal(host)
        if literal is not None and not address_allowed(literal, endpoint.allow_private):
            raise Refused(f"{host} is not a public address")
        session = self._session(endpoint.allow_private)
        async with session.post(
            endpoint.url, data=body, headers=headers, allow_redirects=False
        ) as resp:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                await resp.content.read(4096)  # a little, so the connection can be reused
            return resp.status

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(allow_private)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(**pinned(CheckedResolver(allow_private)), limit=32)
            session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, trust_env=False
            )
            self._sessions[allow_private] = session
        return session

    async def alert_admins(self, endpoint: Endpoint, reason: str, now: datetime) -> int:
        """Email each admin moderator of the endpoint's site that it was disabled."""
        admins = await self.store.webhooks.admins_of(endpoint.site_id)
        for email in admins:
            await self.store.deliveries.add(
                email.strip().lower(),
                ALERT_TEMPLATE,
                now,
                data={
                    "site": endpoint.site_id,
                    "endpoint_id": endpoint.id,
                    "url": endpoint.url,
                    "reason": reason[:500],
                    "failures": self.disable_after,
                },
            )
        return len(admins)

    # ----- the loop -----------------------------------------------------------------------

    async def run_once(self) -> int:
        planned = await self.dispatch()
        return planned + await self.send_due()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                await self.run_once()
                failures = 0
            except Exception:
                failures += 1
                log.exception("webhook worker pass failed")
            delay = min(30.0, self.poll_interval_s * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        await self.close()

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
