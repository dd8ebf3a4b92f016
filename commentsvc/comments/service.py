"""CommentService: the business rules. Every state transition lives here.

Handlers and workers call this; it calls the store (the truth), the queue (a
doorbell) and the event bus. Redis being down degrades it (no dedupe cache,
local rate limits, late doorbells) but never loses a comment.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from commentsvc import ids, schedule
from commentsvc.clock import now_utc
from commentsvc.comments.batching import Batcher, Outcomes
from commentsvc.comments.events import EventBus, ThreadEvent
from commentsvc.comments.memo import Memo
from commentsvc.comments.pagecache import PageCache
from commentsvc.config import Settings
from commentsvc.errors import (
    Conflict,
    FieldError,
    Invalid,
    NotFound,
    RateLimited,
)
from commentsvc.models import (
    PUBLIC_STATUSES,
    Comment,
    Kind,
    NotifyChoice,
    Site,
    Status,
    SubscriptionKind,
    Thread,
)
from commentsvc.notify.subscriptions import SubscriptionService
from commentsvc.policy import Policy, policy_of
from commentsvc.queue.constants import dedupe_key
from commentsvc.queue.doorbell import Doorbell
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.queue.streams import JobQueue
from commentsvc.ratelimit import RateLimiter
from commentsvc.render import render_body
from commentsvc.security import Keys, new_token, same_hash
from commentsvc.store import Store
from commentsvc.store.records import Transition, TransitionResult, comment_from_row
from commentsvc.validation import NewComment
from commentsvc.webhooks.events import thread_closed_payload

log = logging.getLogger(__name__)

MAX_DEPTH = 100
NEW_COMMENT_DEFAULTS: dict[str, Any] = {
    "votes_up": 0,
    "votes_down": 0,
    "score": 0,
    "flag_count": 0,
    "edited_at": None,
    "first_approved_at": None,
    "notified_at": None,
    "version": 1,
    "flags_reviewed": 0,
}
SITE_CACHE_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class Client:
    """Who is calling: a keyed hash of their address, never the address."""

    ip_hash: str | None
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class Posted:
    comment: Comment
    edit_token: str
    edit_until: datetime


def body_fingerprint(body: str) -> str:
    """Same words, same fingerprint: case and spacing don't make a comment new."""
    return hashlib.sha256(" ".join(body.casefold().split()).encode()).hexdigest()


def event_type_for(result: TransitionResult) -> str:
    to = result.comment.status
    if to is result.from_status:  # same status: an edit (by a moderator)
        return "comment.updated"
    if to is Status.APPROVED and result.from_status is not Status.APPROVED:
        return "comment.approved"
    if to is Status.DELETED:
        return "comment.deleted"
    if result.from_status is Status.APPROVED:
        return "comment.deleted"  # gone from public view
    return "comment.updated"


class CommentService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        redis: aioredis.Redis,
        keys: Keys,
        moderate_queue: JobQueue,
        notify_queue: JobQueue,
        bus: EventBus,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.redis = redis
        self.keys = keys
        self.moderate_queue = moderate_queue
        self.notify_queue = notify_queue
        self.bus = bus
        self.limiter = limiter
        self.pages = PageCache(ttl_s=settings.thread_cache_ttl_s)
        bus.add_listener(self._on_thread_event)
        self._sites: Memo[str, Site | None] = Memo(store.sites.get, SITE_CACHE_TTL_S)
        self._threads: Memo[tuple[str, str], Thread | None] = Memo(
            lambda key: store.threads.get(*key),
            SITE_CACHE_TTL_S,
            max_entries=50_000,
            keep_none=False,  # a thread about to be created must not be remembered as missing
        )
        self._policies: dict[str, tuple[Site | None, Policy]] = {}
        self._origins: frozenset[str] = frozenset()
        self._origins_until = 0.0
        self._inserts: Batcher[dict[str, Any]] = Batcher(self._flush_inserts, max_batch=256)
        self._doorbells = {q.stream: Doorbell(q) for q in (moderate_queue, notify_queue)}
        self.subscriptions = SubscriptionService(
            settings, store, keys, limiter or RateLimiter(redis, settings.rate_limits)
        )

    def _on_thread_event(self, event: ThreadEvent) -> None:
        self.pages.invalidate(event.site, event.thread)
        if event.type == "thread.changed":  # closed or reopened; counts don't matter here
            self._forget_thread(event.site, event.thread)

    # ----- sites and policy -------------------------------------------------

    async def site(self, site_id: str) -> Site | None:
        return await self._sites.get(site_id)

    async def require_site(self, site_id: str) -> Site:
        site = await self.site(site_id)
        if site is None:
            raise Invalid(f"unknown site {site_id!r}", errors=[FieldError("site", "unknown site")])
        return site

    async def policy(self, site_id: str) -> Policy:
        site = await self.site(site_id)
        cached = self._policies.get(site_id)
        if cached is not None and cached[0] is site:
            return cached[1]
        policy = policy_of(site)  # parsed once per loaded site row, not once per request
        self._policies[site_id] = (site, policy)
        return policy

    def forget_site(self, site_id: str) -> None:
        self._sites.forget(site_id)
        self._origins_until = 0.0

    async def load_origins(self) -> None:
        """Refresh the union of every site's allowed origins (CORS) when stale."""
        now = time.monotonic()
        if self._origins_until > now:
            return
        origins: set[str] = set()
        for site in await self.store.sites.all():
            origins.update(o.rstrip("/") for o in site.allowed_origins)
        self._origins = frozenset(origins)
        self._origins_until = now + SITE_CACHE_TTL_S

    def origin_allowed_anywhere(self, origin: str) -> bool:
        return "*" in self._origins or origin.rstrip("/") in self._origins

    async def origin_allowed_for(self, site_id: str, origin: str) -> bool:
        site = await self.site(site_id)
        if site is None:
            return False
        allowed = {o.rstrip("/") for o in site.allowed_origins}
        return "*" in allowed or origin.rstrip("/") in allowed

    # ----- posting ----------------------------------------------------------

    async def post(self, new: NewComment, client: Client) -> Posted:
        """Accept a comment: committed as `received`, then the moderation doorbell rings."""
        site = await self.require_site(new.site)
        policy = await self.policy(site.id)
        errors = []
        if len(new.body) > policy.max_body_chars:
            errors.append(FieldError("body", f"must be at most {policy.max_body_chars} characters"))
        if policy.require_name and new.author_name == "Guest":
            errors.append(FieldError("author_name", "is required on this site"))
        if policy.require_email and not new.author_email:
            errors.append(FieldError("author_email", "is required on this site"))
        if errors:
            raise Invalid("; ".join(f"{e.field} {e.message}" for e in errors), errors=errors)
        thread = await self._thread_for_post(site.id, new)
        if thread.closed or await self._closed_by_age(thread, policy):
            raise Conflict("this thread is closed to new comments")
        parent = None
        if new.parent_id is not None:
            parent = (
                await self.store.comments.get(new.parent_id)
                if ids.looks_like_id(new.parent_id)
                else None
            )
            if (
                parent is None
                or parent.thread_id != thread.id
                or parent.status is not Status.APPROVED
            ):
                raise NotFound("the comment you are replying to does not exist (or is not public)")
            if parent.depth + 1 >= MAX_DEPTH:
                raise Invalid(
                    "reply nests too deep",
                    errors=[FieldError("parent_id", "nests too deep; reply higher up")],
                )
        fingerprint = body_fingerprint(new.body)
        await self._gate(thread.id, fingerprint, client, new.author_email)
        now = now_utc()
        comment_id = ids.new_id()
        token = new_token()
        kind = Kind.FEEDBACK if new.anchor is not None else Kind.COMMENT
        row = {
            "id": comment_id,
            "site_id": site.id,
            "thread_id": thread.id,
            "parent_id": parent.id if parent else None,
            "root_id": parent.root_id if parent else comment_id,
            "depth": parent.depth + 1 if parent else 0,
            "kind": kind.value,
            "anchor": new.anchor.to_json() if new.anchor else None,
            "author_name": new.author_name,
            "author_email": new.author_email,
            "ip_hash": client.ip_hash,
            "user_agent": client.user_agent[:512],
            "body": new.body,
            "body_html": render_body(new.body),
            "body_hash": fingerprint,
            "honeypot": new.honeypot,
            "status": Status.RECEIVED.value,
            "moderation": {},
            "created_at": now,
            "edit_token_hash": self.keys.token_hash(token),
        }
        try:
            await self._inserts.submit(row)
        except Exception:
            await self._forget_duplicate(thread.id, fingerprint, client, new.author_email)
            raise
        comment = comment_from_row({**NEW_COMMENT_DEFAULTS, **row})
        if new.notify is not NotifyChoice.NONE and new.author_email and not new.honeypot:
            # Unconfirmed until the emailed link is used; the notifier sends that email.
            await self.subscriptions.subscribe_author(
                site.id,
                thread.id,
                new.author_email,
                SubscriptionKind(new.notify.value),
                client.ip_hash,
            )
        return Posted(comment, token, now + timedelta(seconds=policy.edit_window_s))

    async def _closed_by_age(self, thread: Thread, policy: Policy) -> bool:
        """Auto-close (issue 14) has closed this thread, though the sweep may not have run."""
        if not thread.auto_close or policy.auto_close_days <= 0:
            return False
        opened = await self.store.desk.opened_at(thread)
        return schedule.is_closed_by_age(policy.timezone, policy.auto_close_days, opened, now_utc())

    async def _thread_for_post(self, site_id: str, new: NewComment) -> Thread:
        """The thread to post in, from a short in-process cache (dropped when it changes)."""
        key = (site_id, new.thread)
        thread = await self._threads.get(key)
        if thread is not None:
            missing_url = bool(new.thread_url and not thread.url)
            missing_title = bool(new.thread_title and not thread.title)
            if not missing_url and not missing_title:
                return thread
        thread = await self.store.threads.ensure(
            site_id, new.thread, new.thread_url, new.thread_title
        )
        self._threads.forget(key)
        if thread.published_at is None and new.thread_published:
            published = schedule.parse_published(new.thread_published, now_utc())
            if published is not None:  # the first embed to give a readable date sets it
                await self.store.desk.set_published(thread.id, published)
                thread = await self.store.threads.get(site_id, new.thread) or thread
        return thread

    async def set_thread_closed(self, site_id: str, thread_key: str, closed: bool) -> Thread | None:
        """Close a thread to new comments (or reopen it), and tell every process.

        Reopening by hand also keeps auto-close from closing it again (issue 14)."""
        thread = await self.store.threads.set_closed(site_id, thread_key, closed)
        if thread is not None:
            if not closed and thread.auto_close:
                await self.store.desk.keep_open(thread.id)
            await self.bus.publish(
                ThreadEvent("thread.changed", site_id, thread_key, thread.version, "", thread.count)
            )
            if closed:
                now = now_utc()
                payload = thread_closed_payload(thread, "moderator", now)
                await self.store.webhooks.thread_closed(thread, payload, now)
        return thread

    def _forget_thread(self, site_id: str, thread_key: str) -> None:
        self._threads.forget((site_id, thread_key))

    async def _flush_inserts(self, rows: list[dict[str, Any]]) -> Outcomes:
        """Insert gathered comments in one transaction; if that fails, one by one, so each
        author hears of their own comment only (the others still commit and are rung)."""
        outcomes: list[BaseException | None] = [None] * len(rows)
        try:
            await self.store.comments.insert_many(rows)
        except Exception:
            if len(rows) == 1:
                raise
            log.warning("batch insert of %d comments failed; inserting one by one", len(rows))
            for i, row in enumerate(rows):
                try:
                    await self.store.comments.insert_many([row])
                except Exception as exc:
                    outcomes[i] = exc
        stored = [r for r, failed in zip(rows, outcomes, strict=True) if failed is None]
        await self.ring(self.moderate_queue, [{"comment_id": r["id"]} for r in stored])
        return outcomes

    async def ring(self, queue: JobQueue, payloads: list[dict[str, str]]) -> None:
        """Publish doorbells. While Redis is down they are held, and rung once it is back."""
        bell = self._doorbells.get(queue.stream)
        if bell is None or bell.queue is not queue:
            bell = self._doorbells[queue.stream] = Doorbell(queue)
        await bell.ring(payloads)

    def _dedupe_key(
        self, thread_id: int, fingerprint: str, client: Client, email: str | None
    ) -> str:
        who = email or client.ip_hash or "anon"
        digest = self.keys.mac("dedupe", f"{thread_id}:{who}:{fingerprint}")[:40]
        return dedupe_key(client.ip_hash or "unknown", digest)

    async def _gate(
        self, thread_id: int, fingerprint: str, client: Client, email: str | None
    ) -> None:
        """Rate limits and the duplicate window, in one Redis round trip.

        While Redis is down, limits are counted in this process and duplicates
        are looked for in the database.
        """
        window_s = self.settings.duplicate_window_s
        key = self._dedupe_key(thread_id, fingerprint, client, email)
        subject = client.ip_hash or "unknown"
        hits = [("post", subject), ("post_hour", subject)] if self.limiter is not None else []
        if self.limiter is not None:
            retry_after_s, fresh = await self.limiter.gate(
                hits, (key, window_s) if window_s > 0 else None
            )
        else:
            retry_after_s, fresh = None, None
            if window_s > 0:
                with contextlib.suppress(*REDIS_DOWN):
                    fresh = bool(await self.redis.set(key, "1", nx=True, ex=window_s))
        if retry_after_s is not None:
            if fresh:
                await self._forget_duplicate(thread_id, fingerprint, client, email)
            raise RateLimited(
                f"too many comments; try again in {retry_after_s} s", retry_after_s=retry_after_s
            )
        if window_s <= 0:
            return
        if fresh is None:
            since = now_utc() - timedelta(seconds=window_s)
            found = await self.store.comments.find_duplicate(
                thread_id, fingerprint, client.ip_hash, email, since
            )
            fresh = found is None
        if not fresh:
            raise Conflict("you posted the same comment here a moment ago")

    async def _forget_duplicate(
        self, thread_id: int, fingerprint: str, client: Client, email: str | None
    ) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            await self.redis.delete(self._dedupe_key(thread_id, fingerprint, client, email))

    # ----- reading (pages and views live in commentsvc/comments/reading.py) ---------

    async def counts(self, site_id: str, keys: Sequence[str]) -> dict[str, int]:
        return await self.store.threads.counts(site_id, keys)

    async def get_comment(self, comment_id: str) -> Comment:
        comment = (
            await self.store.comments.get(comment_id) if ids.looks_like_id(comment_id) else None
        )
        if comment is None:
            raise NotFound("no such comment")
        return comment

    def token_matches(self, comment: Comment, token: str | None) -> bool:
        return bool(token) and same_hash(self.keys.token_hash(token or ""), comment.edit_token_hash)

    # ----- transitions ------------------------------------------------------

    async def transition(self, t: Transition) -> TransitionResult | None:
        """Apply a compare-and-set transition, then tell readers and ring the notifier."""
        result = await self.store.comments.transition(t)
        if result is not None:
            await self.after_transition(result)
        return result

    async def transition_many(self, ts: list[Transition]) -> list[TransitionResult | None]:
        """Several transitions in one database transaction (the moderation worker's batch)."""
        results = await self.store.comments.transition_many(ts)
        await self.after_transitions([r for r in results if r is not None])
        return results

    async def after_transition(self, result: TransitionResult) -> None:
        await self.after_transitions([result])

    async def after_transitions(self, results: list[TransitionResult]) -> None:
        """Tell readers (one event per public change) and ring the notifier for first approvals.

        A change between private states (received → pending, say) is announced to nobody.
        """
        await self.bus.publish_many(
            [
                ThreadEvent(
                    event_type_for(r),
                    r.thread.site_id,
                    r.thread.key,
                    r.thread.version,
                    r.comment.id,
                    r.thread.count,
                    r.comment.kind.value,
                )
                for r in results
                if r.from_status in PUBLIC_STATUSES or r.comment.status in PUBLIC_STATUSES
            ]
        )
        first = [{"comment_id": r.comment.id} for r in results if r.first_approval]
        if first:
            await self.ring(self.notify_queue, first)

    async def announce(
        self, site_id: str, thread_key: str, version: int, comment_id: str = ""
    ) -> None:
        """A public change that is not a status change (votes, edits by moderators)."""
        await self.bus.publish(
            ThreadEvent("comment.updated", site_id, thread_key, version, comment_id)
        )
