"""In-process cache of rendered thread pages, dropped per thread on change.

Each API process keeps the bytes it last rendered for a page, with a short
TTL as a safety net; a thread's entries are dropped as soon as any process
announces a change to it over Redis pub/sub (`commentsvc.events`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CachedPage:
    etag: str
    body: bytes
    expires_at: float


PageKey = tuple[str, str, str, str, int, str]  # site, thread key, sort, filter, limit, cursor


class PageCache:
    def __init__(self, ttl_s: float = 5.0, max_entries: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._by_thread: dict[tuple[str, str], set[PageKey]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: PageKey) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None or page.expires_at < time.monotonic():
            self.misses += 1
            return None
        self.hits += 1
        return page

    def put(self, key: PageKey, etag: str, body: bytes) -> CachedPage:
        page = CachedPage(etag, body, time.monotonic() + self.ttl_s)
        if self.ttl_s <= 0:
            return page
        self._pages[key] = page
        self._pages.move_to_end(key)
        self._by_thread.setdefault((key[0], key[1]), set()).add(key)
        while len(self._pages) > self.max_entries:
            old, _ = self._pages.popitem(last=False)
            keys = self._by_thread.get((old[0], old[1]))
            if keys is not None:
                keys.discard(old)
        return page

    def invalidate(self, site_id: str, thread_key: str) -> None:
        for key in self._by_thread.pop((site_id, thread_key), set()):
            self._pages.pop(key, None)

    def clear(self) -> None:
        self._pages.clear()
        self._by_thread.clear()
