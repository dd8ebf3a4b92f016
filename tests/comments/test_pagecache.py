"""The in-process page cache: bounded however many different pages readers ask for."""

from __future__ import annotations

from commentsvc.comments.pagecache import PageCache


def _render(body: bytes):  # type: ignore[no-untyped-def]
    async def render() -> tuple[int, str, bytes]:
        return 1, '"e"', body

    return render


async def _version() -> int:
    return 1


async def test_evicted_pages_leave_nothing_behind_for_their_thread() -> None:
    cache = PageCache(ttl_s=60, max_entries=10)
    for n in range(500):  # a new thread key per request: unknown threads are pages too
        await cache.fetch(("default", f"t{n}", "newest", "all", 50, ""), _render(b"{}"), _version)
    assert len(cache._pages) == 10
    # Before: one (empty) set per thread ever read stayed in the index, without bound.
    assert len(cache._by_thread) == 10


async def test_the_cache_is_bounded_by_bytes_too() -> None:
    cache = PageCache(ttl_s=60, max_entries=1000, max_bytes=100_000)
    body = b"x" * 10_000
    for n in range(100):  # crafted cursors make as many different pages of a big thread
        key = ("default", "big", "newest", "all", 100, f"c{n}")
        await cache.fetch(key, _render(body), _version)
    assert sum(len(p.body) for p in cache._pages.values()) <= 100_000
    assert len(cache._pages) == 10
    big = ("default", "big", "newest", "all", 100, "huge")
    page = await cache.fetch(big, _render(b"y" * 200_000), _version)
    assert page.body.startswith(b"y")  # answered, but too big to keep
    assert big not in cache._pages
