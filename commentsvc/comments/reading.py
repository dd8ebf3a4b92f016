"""Reading threads: cached pages with ETags, and single comments for readers and authors."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from commentsvc import views
from commentsvc.comments.pagecache import CachedPage
from commentsvc.comments.service import CommentService
from commentsvc.errors import BadRequest, NotFound
from commentsvc.models import Status
from commentsvc.store.comments import CursorError, Sort, decode_cursor


class ThreadReader:
    """Pages of a thread from the service's page cache, and single comments."""

    def __init__(self, service: CommentService) -> None:
        self.service = service
        self.store = service.store
        self.pages = service.pages

    async def thread_page(
        self, site_id: str, key: str, sort: Sort, feedback_only: bool, limit: int, cursor: str
    ) -> CachedPage:
        """One page of a thread (JSON bytes, ETag, gzip copy), from cache when fresh."""
        if cursor:
            try:
                decode_cursor(sort, cursor)
            except CursorError as exc:
                raise BadRequest(str(exc)) from None
        cache_key = (site_id, key, sort, "feedback" if feedback_only else "all", limit, cursor)
        page = self.pages.fresh(cache_key)
        if page is not None:
            return page

        async def render() -> tuple[int, str, bytes]:
            return await self._render_page(site_id, key, sort, feedback_only, limit, cursor)

        async def current_version() -> int:
            thread = await self.store.threads.get(site_id, key)
            return thread.version if thread is not None else 0

        return await self.pages.fetch(cache_key, render, current_version)

    async def _render_page(
        self, site_id: str, key: str, sort: Sort, feedback_only: bool, limit: int, cursor: str
    ) -> tuple[int, str, bytes]:
        thread = await self.store.threads.get(site_id, key)
        comments: list[dict[str, Any]] = []
        featured: list[dict[str, Any]] = []
        next_cursor = None
        if thread is not None:
            # The Featured strip (issue 14): approved featured comments, shown above the
            # thread and in place in it, never instead of it.
            featured = [views.public_comment(c) for c in await self.store.desk.featured(thread.id)]
            page = await self.store.comments.thread_page(
                thread.id,
                sort=sort,
                feedback_only=feedback_only,
                limit=limit,
                cursor=cursor or None,
            )
            comments = views.nest(page.top, page.replies)
            next_cursor = page.next_cursor
        header = views.thread_header(thread, key)
        body = orjson.dumps(
            {
                "thread": header,
                "featured": featured,
                "comments": comments,
                "next_cursor": next_cursor,
            }
        )
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        return (thread.version if thread is not None else 0), etag, body

    async def visible_comment(self, comment_id: str, token: str | None) -> dict[str, Any]:
        """The public view, or the author's own view with a valid edit token."""
        comment = await self.service.get_comment(comment_id)
        if self.service.token_matches(comment, token):
            return views.author_comment(comment)
        if comment.status is not Status.APPROVED:
            raise NotFound("no such comment")
        return views.public_comment(comment)
