"""The reporter's two emails (issue 16): confirm the address, then (once) "it was corrected".

DESIGN §6 applies: nothing goes to an address that did not confirm it from the
emailed link; confirmation mails are limited per address and per IP; a
suppressed address gets nothing; every mail has text and HTML, a stable
Message-ID and a one-click List-Unsubscribe (here: never email this address
again). Both are written in the language the reader had when reporting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import Any

from commentsvc.clock import now_utc
from commentsvc.config import Settings
from commentsvc.notify.compose import Composer
from commentsvc.notify.sender import Destination, destination_from_settings
from commentsvc.ratelimit import RateLimiter
from commentsvc.security import Keys, same_hash
from commentsvc.store import Store
from commentsvc.store.corrections import Correction
from commentsvc.validation import is_plain_int

CONFIRM = "correction-confirm"
STOP = "correction-stop"
CONFIRM_TTL_S = 7 * 86_400
MAX_TOKEN_CHARS = 200

log = logging.getLogger(__name__)


class ReporterMail:
    """Sends the reporter's mails in the background, so a report or decision never waits."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: Keys,
        limiter: RateLimiter,
        destination: Destination | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.limiter = limiter
        self.composer = Composer(settings)
        self.public_url = settings.resolved_public_url.rstrip("/")
        self.destination = destination or destination_from_settings(settings)
        self._tasks: set[asyncio.Task[None]] = set()

    # ----- links ---------------------------------------------------------------------

    def _check(self, c: Correction) -> str:
        return self.keys.mac("correction-link", f"{c.id}:{c.reporter_email}:{c.created_at}")[:16]

    def link(self, purpose: str, c: Correction) -> str:
        ttl_s = CONFIRM_TTL_S if purpose == CONFIRM else None
        token = self.keys.sign(purpose, f"{c.id}-{self._check(c)}", ttl_s)
        return f"{self.public_url}/c/{token}"

    async def read(self, token: str) -> tuple[str, Correction] | None:
        """(purpose, report) of a link's token; None if forged, altered, expired or gone."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        for purpose in (CONFIRM, STOP):
            payload = self.keys.unsign(purpose, token)
            if payload is None:
                continue
            ref, _, check = payload.partition("-")
            if not is_plain_int(ref) or len(ref) > 9:
                return None
            found = await self.store.corrections.get(int(ref))
            if found is None or not found.reporter_email:
                return None
            return (purpose, found) if same_hash(check, self._check(found)) else None
        return None

    # ----- the two mails -------------------------------------------------------------

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
        self._start(self._send("correction_confirm", c, {"confirm_url": self.link(CONFIRM, c)}))

    async def corrected(self, c: Correction) -> None:
        """Queue "your report led to a correction" (the caller claimed it: once)."""
        extra = {"quote": c.anchor.quote or c.anchor.block, "public_note": c.public_note}
        self._start(self._send("corrected", c, extra))

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, template: str, c: Correction, extra: Mapping[str, object]) -> None:
        recipient = c.reporter_email
        if not recipient or await self.store.subscriptions.is_suppressed(recipient):
            return
        try:
            site = await self.store.sites.get(c.site_id)
            thread = await self.store.threads.get_by_id(c.thread_id)
            if site is None:
                return
            stop_url = self.link(STOP, c)
            context = {**self.composer.base_context(site, thread, stop_url), **extra}
            rendered = self.composer.render(site.id, template, context, c.lang)
            now: datetime = now_utc()
            raw = self.composer.message(
                site=site,
                recipient=recipient,
                rendered=rendered,
                message_id=self.composer.other_message_id(template, str(c.id), recipient),
                unsubscribe_url=stop_url,
                now=now,
            )
            await self.destination.send(raw, recipient)
        except Exception:
            log.exception("the %s mail for correction report %s was not sent", template, c.id)

    async def drain(self) -> None:
        """Wait for the mails under way (tests, and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        await self.destination.close()
