"""The notifier worker: consumes the notify stream and sends what is due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from commentsvc.clock import now_utc
from commentsvc.notify.notifier import (
    DEFAULT_RETRY_SCHEDULE_S,
    MODERATOR_ALERT_INTERVAL_S,
    Clock,
    Notifier,
)
from commentsvc.notify.sender import Destination, destination_from_settings
from commentsvc.queue.consumer import run_consumer
from commentsvc.runtime import Runtime

log = logging.getLogger(__name__)


async def run_notifier(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    burst: bool = False,
    destination: Destination | None = None,
    retry_schedule_s: Sequence[float] = DEFAULT_RETRY_SCHEDULE_S,
    clock: Clock = now_utc,
    moderator_alert_interval_s: int = MODERATOR_ALERT_INTERVAL_S,
) -> int:
    """Notify until `stop` is set; with `burst`, fan out every queued job, send what is due now
    and return. Returns the jobs finished plus the deliveries settled.

    `destination` defaults to SMTP from the settings (or the Maildir); the
    retry schedule, clock and alert interval can be given for tests and tools.
    """
    dest = destination if destination is not None else destination_from_settings(runtime.settings)
    notifier = Notifier(
        runtime.settings,
        runtime.store,
        runtime.keys,
        runtime.redis,
        dest,
        retry_schedule_s=retry_schedule_s,
        clock=clock,
        moderator_alert_interval_s=moderator_alert_interval_s,
    )
    try:
        if burst:
            jobs = await run_consumer(
                runtime.notify_queue,
                notifier.handle,
                name="notifier",
                burst=True,
                batch_size=runtime.settings.batch_size,
            )
            await notifier.housekeeping()
            return jobs + await notifier.drain_due()
        stop = stop if stop is not None else asyncio.Event()
        consumer = asyncio.create_task(
            run_consumer(
                runtime.notify_queue,
                notifier.handle,
                name="notifier",
                stop=stop,
                batch_size=runtime.settings.batch_size,
            ),
            name="notifier-consumer",
        )
        try:
            settled = await notifier.run(stop)
        finally:
            stop.set()
            jobs = await consumer
        return jobs + settled
    finally:
        await dest.close()
