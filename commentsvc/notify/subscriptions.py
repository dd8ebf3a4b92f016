"""Subscribing (double opt-in), confirming, unsubscribing and stopping all mail.

Nothing here tells a caller whether an address is subscribed or suppressed:
a valid request is always accepted the same way, and the confirmation email
is queued (for the notifier to send) only when one is due and the address
has not had too many today. Links carry signed tokens (see `tokens`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from commentsvc.clock import now_utc
from commentsvc.config import Settings
from commentsvc.errors import NotFound, RateLimited
from commentsvc.models import Site, SubscriptionKind
from commentsvc.notify.tokens import CONFIRM, UNSUBSCRIBE, TokenRef, Tokens
from commentsvc.ratelimit import RateLimiter
from commentsvc.security import Keys
from commentsvc.store import Store
from commentsvc.store.subscriptions import UNSUBSCRIBED_ALL, Subscription, canonical_email

log = logging.getLogger(__name__)

BAD_LINK = "this link is not valid: it may be incomplete, altered or expired"
GONE = "this subscription no longer exists; subscribe again if you like"


def email_hint(email: str) -> str:
    """Enough of an address for its owner to recognise it: `a…@example.org`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


@dataclass(frozen=True, slots=True)
class LinkView:
    """What a confirm or unsubscribe page shows (never the whole address)."""

    state: str  # confirm | confirmed | unsubscribe | unsubscribed | stopped | gone | invalid
    site_name: str = ""
    thread_title: str = ""
    kind: str = ""  # the subscription's kind ("thread", "replies"); "" when no subscription
    email_hint: str = ""
    can_stop_all: bool = False
    site_id: str = ""
    lang: str | None = None  # the language the subscription was made in, if known


class SubscriptionService:
    def __init__(self, settings: Settings, store: Store, keys: Keys, limiter: RateLimiter) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.limiter = limiter
        self.tokens = Tokens(keys)

    # ----- subscribing -----------------------------------------------------------------

    async def subscribe(
        self,
        site: Site,
        thread_key: str,
        email: str,
        kind: SubscriptionKind,
        ip_hash: str,
        lang: str | None = None,
    ) -> None:
        """POST /api/v1/subscriptions: 429 only for the caller's own address (IP) limit."""
        retry_after_s = await self.limiter.hit("confirm_ip", ip_hash)
        if retry_after_s is not None:
            raise RateLimited(
                f"too many subscription requests; try again in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )
        thread = await self.store.threads.ensure(site.id, thread_key)
        await self._request(site.id, thread.id, email, kind, lang)

    async def subscribe_author(
        self,
        site_id: str,
        thread_id: int,
        email: str,
        kind: SubscriptionKind,
        ip_hash: str | None,
        lang: str | None = None,
    ) -> None:
        """The "notify" choice of a new comment: same rules, but never fails the comment."""
        try:
            if await self.limiter.hit("confirm_ip", ip_hash or "unknown") is not None:
                return
            await self._request(site_id, thread_id, email, kind, lang)
        except Exception:
            log.exception("subscribing a comment's author failed; the comment stands")

    async def _request(
        self,
        site_id: str,
        thread_id: int,
        email: str,
        kind: SubscriptionKind,
        lang: str | None = None,
    ) -> None:
        email = canonical_email(email)
        if await self.store.subscriptions.is_suppressed(email):
            return
        found = await self.store.subscriptions.find(thread_id, email, kind)
        if found is not None and found.confirmed:
            return
        subject = self.keys.mac("confirm-email", email)[:32]
        allowed = await self.limiter.hit("confirm_email", subject) is None
        await self.store.subscriptions.request(
            site_id, thread_id, email, kind, now_utc(), confirmation=allowed, lang=lang
        )
        if not allowed:
            log.info("confirmation for a subscription not sent: the address had its share today")

    # ----- links -------------------------------------------------------------------------

    async def _subscription(self, ref: TokenRef | None) -> Subscription | None:
        if ref is None or ref.kind != "subscription":
            return None
        sub = await self.store.subscriptions.get(ref.id)
        if sub is None or not self.tokens.matches_subscription(ref, sub):
            return None
        return sub

    async def _view(self, sub: Subscription, state: str, can_stop_all: bool) -> LinkView:
        thread = await self.store.threads.get_by_id(sub.thread_id)
        site = await self.store.sites.get(sub.site_id)
        return LinkView(
            state=state,
            site_name=site.name if site else sub.site_id,
            thread_title=(thread.title or thread.key) if thread else "",
            kind=sub.kind.value,
            email_hint=email_hint(sub.email),
            can_stop_all=can_stop_all,
            site_id=sub.site_id,
            lang=sub.lang,
        )

    async def confirm_view(self, token: str) -> LinkView:
        """GET /s/{token}: what would be confirmed (confirms nothing: scanners fetch links)."""
        sub = await self._to_confirm(token)
        return await self._view(sub, "confirmed" if sub.confirmed else "confirm", False)

    async def confirm(self, token: str) -> LinkView:
        """POST /s/{token}: confirm (confirming twice is fine)."""
        sub = await self._to_confirm(token)
        confirmed = await self.store.subscriptions.confirm(sub.id, now_utc())
        if confirmed is None:
            raise NotFound(GONE)
        return await self._view(confirmed, "confirmed", False)

    async def _to_confirm(self, token: str) -> Subscription:
        """The subscription a confirmation token names, or NotFound."""
        ref = self.tokens.read(CONFIRM, token)
        if ref is None:
            raise NotFound(BAD_LINK)
        sub = await self._subscription(ref)
        if sub is None:
            raise NotFound(GONE)
        return sub

    async def unsubscribe_view(self, token: str) -> LinkView:
        """GET /u/{token}: the choices (changes nothing)."""
        ref = self.tokens.read(UNSUBSCRIBE, token)
        if ref is None:
            raise NotFound(BAD_LINK)
        sub = await self._subscription(ref)
        if sub is not None:
            return await self._view(sub, "unsubscribe", True)
        if ref.kind == "delivery":
            delivery = await self.store.deliveries.get(ref.id)
            if delivery is not None and self.tokens.matches_delivery(ref, delivery):
                return LinkView(
                    "unsubscribe", email_hint=email_hint(delivery.recipient), can_stop_all=True
                )
        return LinkView("gone")

    async def unsubscribe(self, token: str, *, everything: bool) -> LinkView:
        """POST /u/{token} (RFC 8058 one-click): end the subscription, or all mail to the address.

        Idempotent: a valid token whose subscription is already gone succeeds
        and changes nothing.
        """
        ref = self.tokens.read(UNSUBSCRIBE, token)
        if ref is None:
            raise NotFound(BAD_LINK)
        now = now_utc()
        sub = await self._subscription(ref)
        if sub is not None:
            view = await self._view(sub, "stopped" if everything else "unsubscribed", False)
            if everything:
                await self.store.subscriptions.suppress(sub.email, UNSUBSCRIBED_ALL, now)
            else:
                await self.store.subscriptions.delete(sub.id)
            return view
        if ref.kind == "delivery":
            delivery = await self.store.deliveries.get(ref.id)
            if delivery is not None and self.tokens.matches_delivery(ref, delivery):
                await self.store.subscriptions.suppress(delivery.recipient, UNSUBSCRIBED_ALL, now)
                return LinkView("stopped", email_hint=email_hint(delivery.recipient))
        return LinkView("unsubscribed")
