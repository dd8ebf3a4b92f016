"""Bans from the moderator side: add, list, lift, and purge what a ban covers.

A purge rejects the banned author's received, pending and approved comments
on that site, matching exactly as the worker's bans stage does. Up to
`PURGE_INLINE_MAX` comments are rejected before the request returns; a bigger
purge runs as a background task (awaited at shutdown). Each rejection is an
ordinary decision by the moderator who banned: compare-and-set, audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commentsvc.auth.principal import Principal
from commentsvc.clock import now_utc
from commentsvc.comments.service import CommentService
from commentsvc.errors import FieldError, Invalid, NotFound
from commentsvc.models import Comment, Status
from commentsvc.moderation.stages import BansStage
from commentsvc.moderation.types import BanRule, Facts, Item
from commentsvc.review.modviews import ban_json
from commentsvc.store.bans import Ban

log = logging.getLogger(__name__)

BAN_KINDS = ("email", "ip", "domain", "name")
PURGE_INLINE_MAX = 100
PURGE_PAGE = 200
PURGE_STATUSES = (Status.RECEIVED.value, Status.PENDING.value, Status.APPROVED.value)
CLOSE_TIMEOUT_S = 30.0

_IP_HASH = re.compile(r"^[0-9a-f]{32}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+$")

# Reject one comment for a ban: (moderator, comment, note) → True if it was rejected.
Reject = Callable[[Principal, Comment, str], Awaitable[bool]]
CheckSite = Callable[[Principal, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class NewBan:
    site: str
    kind: str
    value: str
    reason: str = ""
    expires_at: datetime | None = None
    purge: bool = False


class Banning:
    def __init__(self, service: CommentService, reject: Reject, check_site: CheckSite) -> None:
        self.service = service
        self.store = service.store
        self._reject = reject
        self._check_site = check_site
        self._purges: set[asyncio.Task[int]] = set()

    async def for_site(
        self, who: Principal, site_id: str, include_expired: bool = False
    ) -> list[dict[str, Any]]:
        await self._check_site(who, site_id)
        now = now_utc()
        return [
            ban_json(b, b.expires_at is None or b.expires_at > now)
            for b in await self.store.review.bans(site_id, include_expired=include_expired)
        ]

    def stored_value(self, kind: str, value: str) -> str:
        """The stored form of a ban's value (a raw IP becomes its hash); 422 if it can't be one."""
        value = value.strip()
        bad = None
        if kind == "email":
            local, at, domain = value.rpartition("@")
            if not at or not local or not _DOMAIN.match(domain.lower()):
                bad = "must be an email address"
            value = f"{local}@{domain}".lower()
        elif kind == "ip":
            try:
                value = self.service.keys.ip_hash(str(ipaddress.ip_address(value)))
            except ValueError:
                if not _IP_HASH.match(value.lower()):
                    bad = "must be an IP address, or an ip_hash as the queue shows it"
                value = value.lower()
        elif kind == "domain":
            value = value.lower().removeprefix("@").removeprefix("*.").rstrip(".")
            if not _DOMAIN.match(value):
                bad = "must be a domain name such as spam.example"
        elif not value or len(value) > 64:
            bad = "must be a name of 1 to 64 characters"
        if bad:
            raise Invalid(f"value {bad}", errors=[FieldError("value", bad)])
        return value

    async def add(self, who: Principal, new: NewBan) -> dict[str, Any]:
        """Ban an author; with `purge`, also reject their pending and approved comments."""
        await self._check_site(who, new.site)
        value = self.stored_value(new.kind, new.value)
        ban = next(  # the same ban again (a double click, two moderators): no second row
            (
                b
                for b in await self.store.bans.active(new.site)
                if b.kind == new.kind
                and b.value.casefold() == value.casefold()  # bans match without case
                and (b.expires_at is None or (new.expires_at and b.expires_at >= new.expires_at))
            ),
            None,
        )
        if ban is None:
            ban = await self.store.bans.add(
                new.site, new.kind, value, new.reason, new.expires_at, created_by=who.actor
            )
            log.info(
                "ban %d on %s (%s) by moderator %d",
                ban.id,
                ban.site_id,
                ban.kind,
                who.moderator_id,
            )
        purge = await self._start_purge(who, ban) if new.purge else None
        return {"ban": ban_json(ban), "purge": purge}

    async def remove(self, who: Principal, ban_id: int) -> None:
        ban = await self.store.review.ban(ban_id)
        if ban is None:
            raise NotFound("no such ban")
        who.require_site(ban.site_id)
        await self.store.bans.remove(ban_id)

    async def _page(self, ban: Ban, after_id: str, limit: int) -> tuple[list[Comment], str]:
        """The next comments this ban covers (the worker's own rule), and where to go on."""
        rows = await self.store.review.ban_candidates(
            ban.site_id, ban.kind, ban.value, PURGE_STATUSES, after_id=after_id, limit=limit
        )
        stage = BansStage()
        facts = Facts(bans=(BanRule(ban.kind, ban.value, ban.reason),))
        hits = [
            c
            for c in rows
            if stage.check(
                Item(
                    body=c.body,
                    author_name=c.author_name,
                    author_email=c.author_email,
                    ip_hash=c.ip_hash,
                    facts=facts,
                )
            )
        ]
        return hits, (rows[-1].id if len(rows) == limit else "")

    async def _start_purge(self, who: Principal, ban: Ban) -> dict[str, Any]:
        hits, more = await self._page(ban, "", PURGE_INLINE_MAX + 1)
        if not more and len(hits) <= PURGE_INLINE_MAX:
            return {"status": "done", "rejected": await self._purge(who, ban, hits)}
        task = asyncio.create_task(self._purge_all(who, ban), name=f"ban-{ban.id}-purge")
        self._purges.add(task)
        task.add_done_callback(self._purges.discard)
        return {"status": "running", "rejected": None}

    async def _purge(self, who: Principal, ban: Ban, hits: Sequence[Comment]) -> int:
        note = f"ban #{ban.id} ({ban.kind}) purge" + (f": {ban.reason}" if ban.reason else "")
        done = 0
        for comment in hits:
            done += await self._reject(who, comment, note)
        return done

    async def _purge_all(self, who: Principal, ban: Ban) -> int:
        done, after = 0, ""
        try:
            while True:
                hits, after = await self._page(ban, after, PURGE_PAGE)
                done += await self._purge(who, ban, hits)
                if not after:
                    break
        except Exception:
            log.exception("purge for ban %d stopped after %d comments", ban.id, done)
            raise
        log.info("purge for ban %d rejected %d comments", ban.id, done)
        return done

    async def wait_for_purges(self) -> None:
        """Wait until background purges finish (tests, shutdown)."""
        while self._purges:
            await asyncio.gather(*self._purges, return_exceptions=True)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.wait_for_purges(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("stopping %d unfinished ban purges", len(self._purges))
            for task in list(self._purges):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
