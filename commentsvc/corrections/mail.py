"""The reporter's two emails (issue 16): confirm the address, then (once) "it was corrected".

DESIGN §6 applies: nothing goes to an address that did not confirm it from the
emailed link; confirmation mails are limited per address and per IP; a
suppressed address gets nothing; every mail has text and HTML, a stable
Message-ID and a one-click List-Unsubscribe (here: never email this address
again). Both are written in the language the reader had when reporting.

Both are rows in `deliveries`, sent by the notifier like every other email
(`notify.messages` builds them, `notify.rechecks` checks them just before): they
are retried with backoff when the mail server fails and survive restarts.
"""

from __future__ import annotations

import logging

from commentsvc.clock import now_utc
from commentsvc.corrections.links import CONFIRM, MAX_TOKEN_CHARS, STOP, check
from commentsvc.ratelimit import RateLimiter
from commentsvc.security import Keys, same_hash
from commentsvc.store import Store
from commentsvc.store.corrections import Correction
from commentsvc.store.deliveries import Template
from commentsvc.validation import is_plain_int

log = logging.getLogger(__name__)


class ReporterMail:
    """Queues the reporter's mails and reads their links."""

    def __init__(self, store: Store, keys: Keys, limiter: RateLimiter) -> None:
        self.store = store
        self.keys = keys
        self.limiter = limiter

    async def read(self, token: str) -> tuple[str, Correction] | None:
        """(purpose, report) of a link's token; None if forged, altered, expired or gone."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        for purpose in (CONFIRM, STOP):
            payload = self.keys.unsign(purpose, token)
            if payload is None:
                continue
            ref, _, given = payload.partition("-")
            if not is_plain_int(ref) or len(ref) > 9:
                return None
            found = await self.store.corrections.get(int(ref))
            if found is None or not found.reporter_email:
                return None
            return (purpose, found) if same_hash(given, check(self.keys, found)) else None
        return None

    async def confirm(self, c: Correction, ip_hash: str) -> None:
        """Queue the confirmation mail, unless the address or the IP had their share."""
        if not c.reporter_email:
            return
        if await self.limiter.hit("confirm_ip", ip_hash or "unknown") is not None:
            return
        subject = self.keys.mac("confirm-email", c.reporter_email)[:32]
        if await self.limiter.hit("confirm_email", subject) is not None:
            log.info("correction confirmation not sent: the address had its share today")
            return
        await self._queue(Template.CORRECTION_CONFIRM, c)

    async def corrected(self, c: Correction) -> None:
        """Queue "your report led to a correction" (the caller claimed it: once)."""
        await self._queue(Template.CORRECTED, c)

    async def _queue(self, template: Template, c: Correction) -> None:
        recipient = c.reporter_email
        if not recipient or await self.store.subscriptions.is_suppressed(recipient):
            return
        data = {"site": c.site_id, "correction": c.id}
        await self.store.deliveries.add(
            recipient, template, now_utc(), thread_id=c.thread_id, data=data
        )
