"""The desk worker (issue 14): auto-close sweeps and webhook deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from commentsvc.review import desk
from commentsvc.runtime import Runtime
from commentsvc.webhooks.worker import WebhookWorker

log = logging.getLogger(__name__)

AUTO_CLOSE_EVERY_S = 60.0


async def run_desk_once(runtime: Runtime) -> int:
    """`worker desk --burst`: one auto-close sweep, then every webhook delivery due now
    (until no new event is left and nothing is due); returns the deliveries tried.
    A failed delivery waits for its retry time, so it is left to a later run."""
    await desk.close_due_threads(runtime.service)
    worker = WebhookWorker(runtime.settings, runtime.store, runtime.keys)
    tried = 0
    try:
        while True:
            cursor = await runtime.store.webhooks.cursor()
            await worker.dispatch()
            sent = await worker.send_due()
            tried += sent
            if sent == 0 and await runtime.store.webhooks.cursor() == cursor:
                return tried
    finally:
        await worker.close()


async def run_desk(runtime: Runtime, *, stop: asyncio.Event) -> None:
    """Until `stop`: close threads whose time has come (every minute), and run webhooks."""
    webhooks = asyncio.create_task(
        WebhookWorker(runtime.settings, runtime.store, runtime.keys).run(stop), name="webhooks"
    )
    try:
        while not stop.is_set():
            try:
                await desk.close_due_threads(runtime.service)
            except Exception:
                log.exception("auto-close sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), AUTO_CLOSE_EVERY_S)
    finally:
        stop.set()
        await webhooks
