"""Serve the app on a TCP port until SIGINT or SIGTERM, with the connection limits.

What `web.run_app` does, with an `AppRunner` whose server is a `LimitedServer`
(`commentsvc.web.connections`): `run_app` offers no way to choose the server.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from commentsvc.config import Settings
from commentsvc.web.connections import ConnectionLimits, LimitedServer
from commentsvc.web.supervisor import parent_pid, watch_parent

SHUTDOWN_TIMEOUT_S = 10.0


class LimitedAppRunner(web.AppRunner):
    """An `AppRunner` serving through a `LimitedServer`."""

    __slots__ = ("limits",)

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        built = await super()._make_server()  # starts the app; its server is rebuilt below
        kwargs = {
            **self._kwargs,
            "request_factory": built.request_factory,
            "handler_cancellation": built.handler_cancellation,
        }
        return LimitedServer(self.limits, built.request_handler, **kwargs)


def runner_for(
    app: web.Application, settings: Settings, access_log_class: type[AbstractAccessLogger]
) -> LimitedAppRunner:
    return LimitedAppRunner(
        app,
        ConnectionLimits.from_settings(settings),
        access_log_class=access_log_class,
        keepalive_timeout=settings.keepalive_timeout_s,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )


async def serve(
    app: web.Application,
    settings: Settings,
    *,
    access_log_class: type[AbstractAccessLogger],
    banner: str,
    child: bool = False,
) -> None:
    """Serve on `settings.host:port`; on a signal, stop accepting and shut the app down.

    A `child` of `serve --processes N` (`commentsvc.web.supervisor`) binds with
    SO_REUSEPORT beside its siblings, prints no banner (the parent does) and
    stops when its parent is gone.
    """
    stop = _stop_event(child)
    runner = runner_for(app, settings, access_log_class)
    await runner.setup()  # its on_startup freezes what start-up built (app._freeze_startup_objects)
    try:
        await web.TCPSite(runner, settings.host, settings.port, reuse_port=child or None).start()
        if not child:
            print(banner, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


async def run_background(app: web.Application) -> None:
    """The app's start-up and clean-up (its workers) without HTTP: the workers' child process."""
    stop = _stop_event(True)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def _stop_event(child: bool) -> asyncio.Event:
    """Set on SIGINT or SIGTERM, and for a child, when its parent is gone."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if child:
        task = loop.create_task(watch_parent(stop, parent_pid()), name="watch-parent")
        _WATCHERS.add(task)
        task.add_done_callback(_WATCHERS.discard)
    return stop


_WATCHERS: set[asyncio.Task[None]] = set()
