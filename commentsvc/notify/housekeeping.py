"""The notifier's chores beside sending: moderators' alerts and stale subscriptions.

- Each moderator who opted in gets an alert about newly pending comments at
  most once per interval: the database says when their last alert was, and
  across notifier processes a Redis key (SET NX EX) lets only one of them
  queue it (while Redis is down, the database check decides alone).
- Subscriptions never confirmed are deleted after `UNCONFIRMED_TTL_S`, at
  most once per `EXPIRY_INTERVAL_S`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from commentsvc.notify.tokens import CONFIRM_TTL_S
from commentsvc.queue.constants import moderator_alert_key
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.store import Store
from commentsvc.store.deliveries import Template

log = logging.getLogger(__name__)

MODERATOR_ALERT_MAX_ITEMS = 50
UNCONFIRMED_TTL_S = CONFIRM_TTL_S
EXPIRY_INTERVAL_S = 600.0

Clock = Callable[[], datetime]


class Housekeeping:
    def __init__(
        self,
        store: Store,
        redis: aioredis.Redis,
        clock: Clock,
        moderator_alert_interval_s: int,
    ) -> None:
        self.store = store
        self.redis = redis
        self.clock = clock
        self.moderator_alert_interval_s = moderator_alert_interval_s
        self._expire_at = 0.0

    async def run(self) -> int:
        """Alerts every time, the expiry sweep when due; returns the alerts queued."""
        queued = await self.alert_moderators()
        if time.monotonic() >= self._expire_at:
            self._expire_at = time.monotonic() + EXPIRY_INTERVAL_S
            await self.expire_subscriptions()
        return queued

    async def expire_subscriptions(self) -> int:
        cutoff = self.clock() - timedelta(seconds=UNCONFIRMED_TTL_S)
        expired = await self.store.subscriptions.expire_unconfirmed(cutoff)
        if expired:
            log.info("deleted %d subscription(s) never confirmed", expired)
        return expired

    async def alert_moderators(self) -> int:
        """Queue an alert for each opted-in moderator with newly pending comments, if one is due."""
        queued = 0
        interval = timedelta(seconds=self.moderator_alert_interval_s)
        for mod in await self.store.alerts.moderators_wanting_alerts():
            email = mod.email.strip().lower()
            now = self.clock()
            last = await self.store.alerts.last_created(email, Template.MODERATORS)
            if last is not None and now - last < interval:
                continue
            sites = None if not mod.sites or "*" in mod.sites else mod.sites  # as can_access
            pending, total = await self.store.alerts.newly_pending(
                last or mod.created_at, sites, MODERATOR_ALERT_MAX_ITEMS
            )
            if not pending or await self.store.subscriptions.is_suppressed(email):
                continue
            if not await self._hold_alert_slot(mod.id):
                continue
            await self.store.deliveries.add(
                email, Template.MODERATORS, now, data={"comment_ids": pending, "total": total}
            )
            queued += 1
        return queued

    async def _hold_alert_slot(self, moderator_id: int) -> bool:
        try:
            took = await self.redis.set(
                moderator_alert_key(moderator_id),
                "1",
                nx=True,
                ex=max(1, self.moderator_alert_interval_s),
            )
        except REDIS_DOWN:
            return True
        return bool(took)
