"""A small async memo: values that expire, refreshed once for all callers.

A value past its TTL is still returned while a single background task
refreshes it, so an expiry never makes a crowd of concurrent requests all
query the database at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        ttl_s: float,
        max_entries: int = 10_000,
        *,
        keep_none: bool = True,
    ) -> None:
        self._load = load
        self.keep_none = keep_none
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._values: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K) -> V:
        entry = self._values.get(key)
        if entry is not None:
            if entry[0] < time.monotonic() and key not in self._loading:
                self._start(key).add_done_callback(_log_failure)
            return entry[1]
        task = self._loading.get(key) or self._start(key)
        return await asyncio.shield(task)

    def _start(self, key: K) -> asyncio.Task[V]:
        task = asyncio.create_task(self._fetch(key))
        self._loading[key] = task
        task.add_done_callback(lambda _t: self._loading.pop(key, None))
        return task

    async def _fetch(self, key: K) -> V:
        value = await self._load(key)
        if value is None and not self.keep_none:
            self._values.pop(key, None)
            return value
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (time.monotonic() + self.ttl_s, value)
        return value

    def forget(self, key: K) -> None:
        self._values.pop(key, None)

    def clear(self) -> None:
        self._values.clear()


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("background refresh failed: %s", task.exception())
