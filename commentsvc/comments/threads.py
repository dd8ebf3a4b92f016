"""Threads as posting sees them: found or created on the first comment, closed and
reopened by moderators, closed by age (issue 14); a short in-process cache."""

from __future__ import annotations

from commentsvc import schedule
from commentsvc.clock import now_utc
from commentsvc.comments.events import EventBus, ThreadEvent
from commentsvc.comments.memo import Memo
from commentsvc.comments.sites import SITE_CACHE_TTL_S
from commentsvc.models import Thread
from commentsvc.policy import Policy
from commentsvc.store import Store
from commentsvc.validation import NewComment
from commentsvc.webhooks.events import thread_closed_payload


class Threads:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus
        self._threads: Memo[tuple[str, str], Thread | None] = Memo(
            lambda key: store.threads.get(*key),
            SITE_CACHE_TTL_S,
            max_entries=50_000,
            keep_none=False,  # a thread about to be created must not be remembered as missing
        )

    def forget(self, site_id: str, thread_key: str) -> None:
        self._threads.forget((site_id, thread_key))

    async def closed_by_age(self, thread: Thread, policy: Policy) -> bool:
        """Auto-close (issue 14) has closed this thread, though the sweep may not have run."""
        if not thread.auto_close or policy.auto_close_days <= 0:
            return False
        opened = await self.store.desk.opened_at(thread)
        return schedule.is_closed_by_age(policy.timezone, policy.auto_close_days, opened, now_utc())

    async def for_post(self, site_id: str, new: NewComment) -> Thread:
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

    async def set_closed(self, site_id: str, thread_key: str, closed: bool) -> Thread | None:
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
