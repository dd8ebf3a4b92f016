"""CommentService: the comment part's jobs wired together, and the transitions.

Each job lives in its own module and takes only what it uses: sites, policies
and origins (`sites`), threads (`threads`), posting with group commit
(`posting`). This class builds those three (the runtime builds it, and beside
it `reading.ThreadReader` and `reader_actions.ReaderActions`) and applies every
status change: a compare-and-set `Transition` from `lifecycle`, then the events
readers see and the notifier's doorbell.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from commentsvc import ids
from commentsvc.comments.events import EventBus, ThreadEvent
from commentsvc.comments.pagecache import PageCache
from commentsvc.comments.posting import Client as Client
from commentsvc.comments.posting import Posting
from commentsvc.comments.posting import body_fingerprint as body_fingerprint
from commentsvc.comments.sites import SiteDirectory
from commentsvc.comments.threads import Threads
from commentsvc.config import Settings
from commentsvc.errors import NotFound
from commentsvc.models import PUBLIC_STATUSES, Comment, Status
from commentsvc.notify.subscriptions import SubscriptionService
from commentsvc.queue.doorbell import Doorbell
from commentsvc.queue.streams import JobQueue
from commentsvc.ratelimit import RateLimiter
from commentsvc.security import Keys, same_hash
from commentsvc.store import Store
from commentsvc.store.records import Transition, TransitionResult

# `Client` and `body_fingerprint` live in `posting`; named here too for the import
# speed work (`transfer`, `web.handlers.public`), which imports them from this module.


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
        self._doorbells = {q.stream: Doorbell(q) for q in (moderate_queue, notify_queue)}
        self.subscriptions = SubscriptionService(
            settings, store, keys, limiter or RateLimiter(redis, settings.rate_limits)
        )
        self.sites = SiteDirectory(store)
        self.threads = Threads(store, bus)
        self.posting = Posting(
            settings,
            store,
            redis,
            keys,
            self.sites,
            self.threads,
            self.subscriptions,
            lambda payloads: self.ring(self.moderate_queue, payloads),
            limiter,
        )
        # The jobs every part calls, by their short names.
        self.site = self.sites.site
        self.require_site = self.sites.require_site
        self.policy = self.sites.policy
        self.forget_site = self.sites.forget_site
        self.load_origins = self.sites.load_origins
        self.origin_allowed_anywhere = self.sites.origin_allowed_anywhere
        self.origin_allowed_for = self.sites.origin_allowed_for
        self.post = self.posting.post
        self.set_thread_closed = self.threads.set_closed

    def _on_thread_event(self, event: ThreadEvent) -> None:
        self.pages.invalidate(event.site, event.thread)
        if event.type == "thread.changed":  # closed or reopened; counts don't matter here
            self.threads.forget(event.site, event.thread)

    async def ring(self, queue: JobQueue, payloads: list[dict[str, str]]) -> None:
        """Publish doorbells. While Redis is down they are held, and rung once it is back."""
        bell = self._doorbells.get(queue.stream)
        if bell is None or bell.queue is not queue:
            bell = self._doorbells[queue.stream] = Doorbell(queue)
        await bell.ring(payloads)

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
