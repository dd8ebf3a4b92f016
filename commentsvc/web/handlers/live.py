"""The live-updates stream (Server-Sent Events) and the hub's life on the app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from commentsvc.errors import BadRequest, Forbidden, NotFound, RateLimited, Unavailable
from commentsvc.web.handlers.public import check_origin, client_of, query_param
from commentsvc.web.keys import LIVE, RUNTIME
from commentsvc.web.live import HubFull, LiveHub, TooManyStreams

log = logging.getLogger(__name__)

STREAM_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx: don't buffer the stream
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


async def stream(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/stream — Server-Sent Events for one thread: comment.* and count."""
    runtime = request.app[RUNTIME]
    hub = request.app[LIVE]
    site = query_param(request, "site", "default", 64) or "default"
    thread = query_param(request, "thread")
    if not thread:
        raise BadRequest("query parameter 'thread' is required")
    if await runtime.service.site(site) is None:
        raise NotFound(f"unknown site {site!r}")
    origin = request.headers.get("Origin")
    if origin is not None:
        try:
            await check_origin(request, runtime, site)
        except Forbidden:
            raise Forbidden(f"origin {origin} may not read site {site!r}'s live updates") from None
    ip_hash, _ = client_of(request, runtime)
    try:
        reader = hub.subscribe(site, thread, ip_hash)
    except TooManyStreams as exc:
        raise RateLimited(f"{exc}; close some before opening more", retry_after_s=10) from None
    except HubFull as exc:
        raise Unavailable(str(exc), retry_after_s=10) from None
    # Headers go out with prepare(): the CORS middleware runs too late for a stream.
    response = web.StreamResponse(headers=STREAM_HEADERS)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    try:
        await response.prepare(request)
        await response.write(f"retry: {hub.retry_ms}\n: connected\n\n".encode())
        while not reader.closed:
            data = await reader.next(hub.heartbeat_s)
            if reader.closed:
                break
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            await response.write(data or b": keepalive\n\n")
    except ConnectionError:
        pass  # the reader went away
    finally:
        hub.unsubscribe(reader)
    return response


def setup_live(app: web.Application, hub: LiveHub | None = None) -> None:
    """Put a hub on the app, feed it from the event bus, and end its streams on shutdown."""
    app[LIVE] = hub if hub is not None else LiveHub()

    async def feed(app: web.Application) -> AsyncIterator[None]:
        bus = app[RUNTIME].bus
        bus.add_listener(app[LIVE].on_event)
        yield
        bus.remove_listener(app[LIVE].on_event)
        app[LIVE].close()

    async def close_streams(app: web.Application) -> None:
        if app[LIVE].clients:
            log.info("closing %d live streams for shutdown", app[LIVE].clients)
        app[LIVE].close()

    app.cleanup_ctx.append(feed)
    app.on_shutdown.append(close_streams)
