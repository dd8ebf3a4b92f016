"""The app factory: `create_app(settings)`, used by the CLI and by every test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web

from commentsvc.config import Settings
from commentsvc.runtime import open_runtime
from commentsvc.store.schema_watch import SchemaWatch
from commentsvc.web.handlers.live import setup_live
from commentsvc.web.keys import METRICS, RUNTIME, SCHEMA, SETTINGS, SHARED_HTTP
from commentsvc.web.metrics import Metrics
from commentsvc.web.middlewares import (
    cors_middleware,
    edge_middleware,
    problem_middleware,
)
from commentsvc.web.routes import setup_routes
from commentsvc.web.shared_metrics import SharedHttpCounters, publishing

Background = Callable[[web.Application], AsyncIterator[None]]


def create_app(
    settings: Settings, *, background: Sequence[Background] = (), migrate: bool = False
) -> web.Application:
    """Build the app. `background` contexts (workers) start after the runtime and stop before it."""
    app = web.Application(
        middlewares=[
            edge_middleware,
            cors_middleware,
            problem_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_runtime(settings, migrate=migrate) as runtime:
            app[RUNTIME] = runtime
            app[SCHEMA] = SchemaWatch(runtime.store.db, "API calls answer 503 until then")
            await app[SCHEMA].problem()  # an unmigrated database is logged at start
            yield

    app.cleanup_ctx.append(runtime_ctx)
    app.cleanup_ctx.append(_shared_http_counters)
    app.cleanup_ctx.append(_event_listener)
    app.on_startup.append(_freeze_startup_objects)
    setup_live(app)  # SSE hub: fed by the event bus, streams closed on shutdown
    app.cleanup_ctx.extend(background)
    setup_routes(app)
    return app


async def _freeze_startup_objects(app: web.Application) -> None:
    """Move everything built at start-up out of the collector's way.

    Modules, tables and compiled statements live as long as the process; without
    this, every full collection walks them all and stalls requests for milliseconds.
    """
    gc.collect()
    gc.freeze()


async def _shared_http_counters(app: web.Application) -> AsyncIterator[None]:
    """Publish this process's request counts, so /metrics on any process reports the sum."""
    app[SHARED_HTTP] = SharedHttpCounters(app[RUNTIME].redis, app[METRICS].http)
    async with publishing(app[SHARED_HTTP]):
        yield


async def _event_listener(app: web.Application) -> AsyncIterator[None]:
    """Relay other processes' thread events (cache invalidation, live updates)."""
    task = asyncio.create_task(app[RUNTIME].bus.listen(), name="event-listener")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
