"""Every route the service answers, in one table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from commentsvc.web.handlers import ops, public

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# (method, path, handler): the OpenAPI description must list exactly these.
ROUTES: list[tuple[str, str, Handler]] = [
    # public API
    ("POST", "/api/v1/comments", public.post_comment),
    ("GET", "/api/v1/comments", public.get_thread),
    ("GET", "/api/v1/comments/{id}", public.get_comment),
    ("PATCH", "/api/v1/comments/{id}", public.edit_comment),
    ("DELETE", "/api/v1/comments/{id}", public.delete_comment),
    ("POST", "/api/v1/comments/{id}/votes", public.vote),
    ("POST", "/api/v1/comments/{id}/flags", public.flag),
    ("GET", "/api/v1/counts", public.counts),
    # operations
    ("GET", "/healthz", ops.healthz),
    ("GET", "/readyz", ops.readyz),
    ("GET", "/metrics", ops.metrics),
    ("GET", "/api/openapi.json", ops.openapi),
]


def setup_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
