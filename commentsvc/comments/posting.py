"""Posting a comment: the site's rules, the rate limits and duplicate window, and the
group commit (DESIGN §3): each comment is committed as `received` in a batch of
whatever arrived meanwhile, then the moderation doorbell rings.

Redis being down degrades this (no dedupe cache, local rate limits, late
doorbells) but never loses a comment.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from commentsvc import ids
from commentsvc.clock import now_utc
from commentsvc.comments.batching import Batcher, Outcomes
from commentsvc.comments.sites import SiteDirectory
from commentsvc.comments.threads import Threads
from commentsvc.config import Settings
from commentsvc.errors import Conflict, FieldError, Invalid, NotFound, RateLimited
from commentsvc.i18n import shipped_language
from commentsvc.models import Comment, Kind, NotifyChoice, Status, SubscriptionKind
from commentsvc.notify.subscriptions import SubscriptionService
from commentsvc.queue.constants import dedupe_key
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.ratelimit import RateLimiter
from commentsvc.render import render_body
from commentsvc.security import Keys, new_token
from commentsvc.store import Store
from commentsvc.store.records import comment_from_row
from commentsvc.validation import NewComment

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


class Posting:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        redis: aioredis.Redis,
        keys: Keys,
        sites: SiteDirectory,
        threads: Threads,
        subscriptions: SubscriptionService,
        ring_moderation: Callable[[list[dict[str, str]]], Awaitable[None]],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.redis = redis
        self.keys = keys
        self.sites = sites
        self.threads = threads
        self.subscriptions = subscriptions
        self.ring_moderation = ring_moderation
        self.limiter = limiter
        self._inserts: Batcher[dict[str, Any]] = Batcher(self._flush_inserts, max_batch=256)

    async def post(self, new: NewComment, client: Client) -> Posted:
        """Accept a comment: committed as `received`, then the moderation doorbell rings."""
        site = await self.sites.require_site(new.site)
        policy = await self.sites.policy(site.id)
        errors = []
        if len(new.body) > policy.max_body_chars:
            errors.append(FieldError("body", f"must be at most {policy.max_body_chars} characters"))
        if policy.require_name and new.author_name == "Guest":
            errors.append(FieldError("author_name", "is required on this site"))
        if policy.require_email and not new.author_email:
            errors.append(FieldError("author_email", "is required on this site"))
        if errors:
            raise Invalid("; ".join(f"{e.field} {e.message}" for e in errors), errors=errors)
        thread = await self.threads.for_post(site.id, new)
        if thread.closed or await self.threads.closed_by_age(thread, policy):
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
                shipped_language(new.lang_tag),
            )
        return Posted(comment, token, now + timedelta(seconds=policy.edit_window_s))

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
        await self.ring_moderation([{"comment_id": r["id"]} for r in stored])
        return outcomes

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
