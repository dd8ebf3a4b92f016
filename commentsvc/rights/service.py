"""PeopleService: a reader's own link, page, download and erasure, and the admin's export and erase.

No answer of `request_link` depends on the address: the caller's own (IP)
limit is the only error, and the lookup, the per-address limit and queueing
the email happen after the answer, in the background, so not even its timing
tells whether the address is known. An email goes out only to an address that
has comments or subscriptions here, is not suppressed, and has not had its
share of mail today (the limits subscriptions use: `confirm_ip`, `confirm_email`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from commentsvc.clock import now_utc
from commentsvc.comments.service import CommentService
from commentsvc.errors import NotFound, RateLimited
from commentsvc.notify.compose import article_url
from commentsvc.notify.mine import TEMPLATE, PersonLinks
from commentsvc.policy import EraseComments
from commentsvc.ratelimit import RateLimiter
from commentsvc.rights import erase as erasing
from commentsvc.rights.records import person_document
from commentsvc.security import Keys
from commentsvc.store import Store
from commentsvc.store.people import Erased
from commentsvc.store.subscriptions import canonical_email

log = logging.getLogger(__name__)

BAD_LINK = "this link is not valid: it may be incomplete, altered or expired; ask for a new one"
GONE = "nothing is held under this address any more (it may have been erased)"
NO_SUBSCRIPTION = "no such subscription under this address"
READER = "reader"  # the audit actor of an erasure the data subject asked for
MAX_ERASE_PASSES = 3


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did, in counts (nothing that was erased)."""

    comments_deleted: int = 0
    comments_anonymised: int = 0
    subscriptions: int = 0
    emails: int = 0
    suppressions: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "comments_deleted": self.comments_deleted,
            "comments_anonymised": self.comments_anonymised,
            "subscriptions": self.subscriptions,
            "emails": self.emails,
            "suppressions": self.suppressions,
        }


@dataclass(frozen=True, slots=True)
class PersonPage:
    """What the "My comments" page shows: the document, plus names and safe links."""

    document: dict[str, Any]
    site_names: dict[str, str] = field(default_factory=dict)
    modes: dict[str, EraseComments] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # "site\x00key" → the article's URL


class PeopleService:
    def __init__(
        self, service: CommentService, store: Store, keys: Keys, limiter: RateLimiter
    ) -> None:
        self.service = service
        self.store = store
        self.keys = keys
        self.limiter = limiter
        self.links = PersonLinks(keys)
        self.public_url = service.settings.resolved_public_url
        self._tasks: set[asyncio.Task[None]] = set()

    # ----- the link --------------------------------------------------------------------

    async def request_link(self, site_id: str, email: str, ip_hash: str) -> None:
        """POST /api/v1/mine: 429 for the caller's own limit only; the rest after answering."""
        retry_after_s = await self.limiter.hit("confirm_ip", ip_hash)
        if retry_after_s is not None:
            raise RateLimited(
                f"too many requests for links; try again in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )
        task = asyncio.create_task(self._send_link(site_id, canonical_email(email)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for link requests still being looked up (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _send_link(self, site_id: str, email: str) -> None:
        try:
            subject = self.keys.mac("confirm-email", email)[:32]
            allowed = await self.limiter.hit("confirm_email", subject) is None
            if not await self.store.people.is_known(email):
                return
            if not allowed:
                log.info("a 'my comments' link was not sent: the address had its share today")
                return
            if await self.store.subscriptions.is_suppressed(email):
                return
            await self.store.deliveries.add(email, TEMPLATE, now_utc(), data={"site": site_id})
        except Exception:
            log.exception("queueing a 'my comments' link failed")

    async def holder(self, token: str) -> str:
        """The address a link was sent to; NotFound if the link is bad, expired or erased."""
        ref = self.links.read(token)
        if ref is None:
            raise NotFound(BAD_LINK)
        delivery = await self.store.deliveries.get(ref.delivery_id)
        if delivery is None or not self.links.matches(ref, delivery):
            raise NotFound(GONE)
        return delivery.recipient

    # ----- seeing and taking -----------------------------------------------------------

    async def export(self, email: str) -> dict[str, Any]:
        """Everything held under the address, as the JSON document of `records`."""
        return person_document(await self.store.people.records(email), now_utc())

    async def page(self, email: str) -> PersonPage:
        records = await self.store.people.records(email)
        sites = {s.id: s for s in await self.store.sites.all()}
        links = {}
        for thread in records.threads.values():
            site = sites.get(thread.site_id)
            if site is not None:
                links[f"{thread.site_id}\x00{thread.key}"] = article_url(
                    thread, site, self.public_url
                )
        return PersonPage(
            document=person_document(records, now_utc()),
            site_names={s.id: s.name for s in sites.values()},
            modes=await self._modes(),
            links=links,
        )

    async def unsubscribe(self, email: str, subscription_id: int) -> None:
        """End one of the address's subscriptions (again is fine: it is gone either way)."""
        sub = await self.store.subscriptions.get(subscription_id)
        if sub is None:
            return
        if sub.email != canonical_email(email):
            raise NotFound(NO_SUBSCRIPTION)
        await self.store.subscriptions.delete(sub.id)

    async def site_ids(self) -> list[str]:
        """Every site there is (an admin of all of them may act for any person)."""
        return [site.id for site in await self.store.sites.all()]

    # ----- erasing ----------------------------------------------------------------------

    async def _modes(self) -> dict[str, EraseComments]:
        return {
            site.id: (await self.service.policy(site.id)).erase_comments
            for site in await self.store.sites.all()
        }

    async def erase(self, email: str, actor: str) -> Erasure:
        """Erase the address from everything (see `rights.erase`); readers, thread pages and
        live streams hear of each changed comment as of any other change."""
        email = canonical_email(email)
        modes = await self._modes()
        redact = erasing.redactor(email)
        plan = erasing.plan(modes, actor, redact)
        scrub = erasing.note_scrubber(modes, redact)
        done = Erasure()
        for _ in range(MAX_ERASE_PASSES):  # a comment edited meanwhile is erased next pass
            erased = await self.store.people.erase(email, plan, scrub)
            await self.service.after_transitions(erased.results)
            done = _add(done, erased, modes)
            if not erased.comments_missed:
                break
        log.info(
            "erasure asked by %s: %d comment(s) deleted, %d anonymised, %d subscription(s), "
            "%d email record(s), %d suppression(s)",
            actor,
            done.comments_deleted,
            done.comments_anonymised,
            done.subscriptions,
            done.emails,
            done.suppressions,
        )
        return done


def _add(done: Erasure, erased: Erased, modes: dict[str, EraseComments]) -> Erasure:
    deleted = sum(1 for r in erased.results if modes.get(r.comment.site_id, "delete") == "delete")
    return Erasure(
        comments_deleted=done.comments_deleted + deleted,
        comments_anonymised=done.comments_anonymised + len(erased.results) - deleted,
        subscriptions=done.subscriptions + erased.subscriptions,
        emails=done.emails + erased.deliveries,
        suppressions=done.suppressions + erased.suppressions,
    )
