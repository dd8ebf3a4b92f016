"""Workers as aiohttp cleanup contexts, for `commentsvc serve` (everything in one process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from commentsvc.runtime import Runtime
from commentsvc.web.keys import RUNTIME
from workers.desk import run_desk
from workers.moderation import build_pipeline, run_moderation
from workers.notifier import run_notifier
from workers.sweeper import Sweeper

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0


def task_context(
    name: str, body: Callable[[Runtime, asyncio.Event], Awaitable[object]]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running `body` until shutdown, then letting it finish its batch."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def run() -> None:
            await body(app[RUNTIME], stop)

        task = asyncio.create_task(run(), name=name)
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("%s did not stop in %.0f s; cancelling", name, STOP_TIMEOUT_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ctx


def all_workers(*, notify: bool = True) -> list[Callable[[web.Application], AsyncIterator[None]]]:
    """Moderation, the notifier (unless `notify` is false) and the sweeper, for `serve`."""
    # Build the pipeline (word lists, the toxicity model) now, before the app
    # freezes its start-up objects, not later inside the worker's task.
    pipeline = build_pipeline()
    workers = [
        task_context(
            "moderation", lambda rt, stop: run_moderation(rt, stop=stop, pipeline=pipeline)
        )
    ]
    if notify:
        workers.append(task_context("notifier", lambda rt, stop: run_notifier(rt, stop=stop)))
    workers.append(task_context("sweeper", lambda rt, stop: Sweeper(rt, notify=notify).run(stop)))
    # Issue 14: auto-close and webhooks, with the notifier (they email admins through it).
    if notify:
        workers.append(task_context("desk", lambda rt, stop: run_desk(rt, stop=stop)))
    return workers
