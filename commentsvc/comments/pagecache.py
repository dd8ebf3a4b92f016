"""In-process cache of rendered thread pages.

Each API process keeps the bytes it last rendered for a page. A thread's
pages are dropped as soon as any process announces a change to it over Redis
pub/sub (`commentsvc.comments.events`), so a reader sees their approved comment at
once. Entries also carry a TTL as a safety net for lost announcements: an
expired page is still served while one background task checks the thread's
version (and re-renders only if it moved), so expiry never stalls readers.
Concurrent misses for one page share a single render.

A cached page is the finished answer: its body, its entity tag, a gzip copy
made the first time a reader asks for one, and whatever the web layer builds
from them once per version (`prepared`: the response headers). None of it is
recomputed per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

GZIP_MIN_BYTES = 1024  # smaller pages go out as they are: the header would eat the gain
GZIP_LEVEL = 6  # zlib's default: a 28 KB page in about 0.3 ms, within a few % of level 9
MAX_BYTES = 256 * 2**20  # pages' bodies kept at most: cursors can name any number of pages


@dataclass(slots=True, eq=False)
class CachedPage:
    etag: str
    body: bytes
    version: int
    expires_at: float
    _gzipped: bytes | None = None
    prepared: dict[str, Any] = field(default_factory=dict)
    """The web layer's finished headers for this version, built on first use."""

    @property
    def gzip_etag(self) -> str:
        """The tag of the gzip copy: another representation, so another strong tag."""
        return self.etag[:-1] + '-gz"'

    def gzipped(self) -> bytes | None:
        """The body gzip-compressed (once per version), or None when that would not pay."""
        if self._gzipped is None:
            if len(self.body) < GZIP_MIN_BYTES:
                self._gzipped = b""
            else:
                packed = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
                self._gzipped = packed if len(packed) < len(self.body) else b""
        return self._gzipped or None


PageKey = tuple[str, str, str, str, int, str]  # site, thread key, sort, filter, limit, cursor
Render = Callable[[], Awaitable[tuple[int, str, bytes]]]  # → (thread version, etag, body)
CurrentVersion = Callable[[], Awaitable[int]]


class PageCache:
    def __init__(
        self, ttl_s: float = 5.0, max_entries: int = 20_000, max_bytes: int = MAX_BYTES
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0  # the kept pages' bodies
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._by_thread: dict[tuple[str, str], set[PageKey]] = {}
        self._generation: dict[tuple[str, str], int] = {}
        self._inflight: dict[PageKey, asyncio.Task[CachedPage]] = {}
        self._refreshing: dict[PageKey, asyncio.Task[None]] = {}
        self.hits = 0
        self.misses = 0
        self.stale_served = 0

    def fresh(self, key: PageKey) -> CachedPage | None:
        """The page for `key` if it is cached and fresh (a hit), else None: no await, no task."""
        page = self._pages.get(key)
        if page is not None and page.expires_at >= time.monotonic():
            self.hits += 1
            return page
        return None

    async def fetch(
        self, key: PageKey, render: Render, current_version: CurrentVersion
    ) -> CachedPage:
        """The page for `key`: fresh, stale while revalidating, or rendered once for all waiters."""
        page = self._pages.get(key)
        if page is not None:
            if page.expires_at >= time.monotonic():
                self.hits += 1
                return page
            self.stale_served += 1
            if key not in self._refreshing:
                self._refreshing[key] = asyncio.create_task(
                    self._revalidate(key, page, render, current_version)
                )
            return page
        self.misses += 1
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._render(key, render))
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _render(self, key: PageKey, render: Render) -> CachedPage:
        generation = self._generation.get((key[0], key[1]), 0)
        version, etag, body = await render()
        page = CachedPage(etag, body, version, time.monotonic() + self.ttl_s)
        if self.ttl_s > 0 and self._generation.get((key[0], key[1]), 0) == generation:
            self._put(key, page)  # not if the thread changed while we rendered
        return page

    async def _revalidate(
        self, key: PageKey, page: CachedPage, render: Render, current_version: CurrentVersion
    ) -> None:
        try:
            generation = self._generation.get((key[0], key[1]), 0)
            if await current_version() == page.version:
                if (
                    self._pages.get(key) is page
                    and self._generation.get((key[0], key[1]), 0) == generation
                ):
                    page.expires_at = time.monotonic() + self.ttl_s  # keeps its gzip copy
                return
            await self._render(key, render)
        except Exception:
            log.warning(
                "revalidating a cached page failed; serving it until the next try", exc_info=True
            )
        finally:
            self._refreshing.pop(key, None)

    def _put(self, key: PageKey, page: CachedPage) -> None:
        if len(page.body) > self.max_bytes:
            return  # answered, never kept
        replaced = self._pages.get(key)
        if replaced is not None:
            self._bytes -= len(replaced.body)
        self._pages[key] = page
        self._pages.move_to_end(key)
        self._bytes += len(page.body)
        self._by_thread.setdefault((key[0], key[1]), set()).add(key)
        while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
            old, evicted = self._pages.popitem(last=False)
            self._bytes -= len(evicted.body)
            thread = (old[0], old[1])
            keys = self._by_thread.get(thread)
            if keys is not None:
                keys.discard(old)
                if not keys:  # else one empty set per thread key ever read, without bound
                    del self._by_thread[thread]

    def invalidate(self, site_id: str, thread_key: str) -> None:
        """Forget a thread's pages (it changed); renders already running won't be cached."""
        thread = (site_id, thread_key)
        self._generation[thread] = self._generation.get(thread, 0) + 1
        for key in self._by_thread.pop(thread, set()):
            dropped = self._pages.pop(key, None)
            if dropped is not None:
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        self._pages.clear()
        self._by_thread.clear()
        self._bytes = 0
        for thread in list(self._generation):
            self._generation[thread] += 1

    async def close(self) -> None:
        for task in [*self._refreshing.values(), *self._inflight.values()]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
