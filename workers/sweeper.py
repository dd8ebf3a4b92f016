"""The sweeper: rings the doorbell again for work the queue lost (Redis outage, failed XADD)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from commentsvc.models import Status
from commentsvc.redisguard import REDIS_DOWN
from commentsvc.runtime import Runtime
from commentsvc.store.tables import now_utc

log = logging.getLogger(__name__)


class Sweeper:
    """Re-enqueues comments still `received` after `sweep_after_s`, at most once per period each."""

    def __init__(self, runtime: Runtime, *, notify: bool = False) -> None:
        self.runtime = runtime
        self.notify = notify
        self._rung: dict[str, float] = {}

    def _fresh(self, ids: list[str]) -> list[str]:
        now = time.monotonic()
        quiet_s = max(self.runtime.settings.sweep_after_s, 1.0)
        self._rung = {k: t for k, t in self._rung.items() if now - t < quiet_s}
        fresh = [i for i in ids if i not in self._rung]
        for i in fresh:
            self._rung[i] = now
        return fresh

    async def sweep_once(self) -> int:
        """One pass; returns how many doorbells were rung."""
        settings = self.runtime.settings
        cutoff = now_utc() - timedelta(seconds=settings.sweep_after_s)
        store = self.runtime.store
        rung = 0
        stuck = self._fresh(await store.comments.ids_in_status_before(Status.RECEIVED, cutoff))
        if stuck:
            await self.runtime.moderate_queue.publish_many([{"comment_id": i} for i in stuck])
            rung += len(stuck)
        if self.notify:
            unsent = self._fresh(await store.comments.approved_unnotified_before(cutoff))
            if unsent:
                await self.runtime.notify_queue.publish_many([{"comment_id": i} for i in unsent])
                rung += len(unsent)
        if rung:
            log.info("sweeper re-enqueued %d job(s)", rung)
        return rung

    async def run(self, stop: asyncio.Event) -> None:
        interval_s = self.runtime.settings.sweep_interval_s
        while not stop.is_set():
            try:
                await self.sweep_once()
            except REDIS_DOWN as exc:
                log.warning("sweeper: redis unreachable (%s); will retry", exc)
            except Exception:
                log.exception("sweeper pass failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
