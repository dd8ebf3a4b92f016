"""The lease on a batch of delivery rows a notifier claimed (see `notifier.py`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from commentsvc.store import Store
from commentsvc.store.deliveries import Delivery

Clock = Callable[[], datetime]


class Lease:
    """A claimed batch's lease: renewed once half of it has passed, by compare-and-set on
    the lease value the claim wrote, so rows another notifier took since are let go."""

    def __init__(
        self, store: Store, rows: Sequence[Delivery], lease_s: float, clock: Clock
    ) -> None:
        self.store = store
        self.lease_s = lease_s
        self.clock = clock
        self.until = rows[0].next_attempt_at if rows else None
        self.held = {r.id for r in rows}
        self.renew_at = time.monotonic() + lease_s / 2
        self._lock = asyncio.Lock()

    async def hold(self, rows: Sequence[Delivery]) -> bool:
        """Whether these rows are still ours, with at least half a lease to go."""
        async with self._lock:
            if time.monotonic() >= self.renew_at and self.until is not None and self.held:
                until = self.clock() + timedelta(seconds=self.lease_s)
                self.held = await self.store.deliveries.renew_lease(self.held, self.until, until)
                self.until = until
                self.renew_at = time.monotonic() + self.lease_s / 2
        return all(r.id in self.held for r in rows)
