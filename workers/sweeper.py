"""The sweeper: rings the doorbell again for work the queue lost (Redis outage, failed XADD).

While Redis is down it does nothing (the doorbells it would ring can't be
published). When the guard sees Redis back it sweeps at once, without waiting
for its period: comments still `received` from before the outage began (their
doorbells were in Redis and may be lost with its data) and approvals never
fanned out. Comments committed during the outage are rung by the process that
committed them (`commentsvc.queue.doorbell`), so they are not rung twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta

from commentsvc.clock import now_utc
from commentsvc.models import Status
from commentsvc.queue.redisguard import REDIS_DOWN, Outage
from commentsvc.runtime import Runtime

log = logging.getLogger(__name__)


class Sweeper:
    """Re-enqueues comments still `received` after `sweep_after_s`, at most once per period each."""

    def __init__(self, runtime: Runtime, *, notify: bool = False) -> None:
        self.runtime = runtime
        self.notify = notify
        self._rung: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._outage_began: datetime | None = None
        runtime.guard.on_recovery(self._after_outage)

    def _fresh(self, ids: list[str]) -> list[str]:
        now = time.monotonic()
        quiet_s = max(self.runtime.settings.sweep_after_s, 1.0)
        self._rung = {k: t for k, t in self._rung.items() if now - t < quiet_s}
        fresh = [i for i in ids if i not in self._rung]
        for i in fresh:
            self._rung[i] = now
        return fresh

    async def _after_outage(self, outage: Outage) -> None:
        began = self._outage_began
        self._outage_began = outage.started_at if began is None else min(began, outage.started_at)
        self._wake.set()

    async def sweep_once(self, before: datetime | None = None) -> int:
        """One pass over comments from before `before`; returns the doorbells rung.

        The default is `sweep_after_s` ago or, right after an outage, its start (what is
        younger was committed during it, and its own process rings it).
        """
        if before is None:
            before, self._outage_began = self._outage_began, None
        settings = self.runtime.settings
        cutoff = before or now_utc() - timedelta(seconds=settings.sweep_after_s)
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
        guard = self.runtime.guard
        while not stop.is_set():
            self._wake.clear()
            if not guard.down:  # while it is, the guard has logged it and nothing can be rung
                try:
                    await self.sweep_once()
                except REDIS_DOWN as exc:
                    if not guard.down:
                        log.warning("sweeper: redis unreachable (%s); will retry", exc)
                except Exception:
                    log.exception("sweeper pass failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_either(stop, self._wake), interval_s)


async def _either(a: asyncio.Event, b: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
