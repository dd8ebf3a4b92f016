"""The moderation worker: consumes the moderate stream in batches."""

from __future__ import annotations

import asyncio
import logging

from commentsvc.moderate import Moderator, standard_pipeline
from commentsvc.moderation.pipeline import Pipeline
from commentsvc.queue.consumer import run_consumer
from commentsvc.runtime import Runtime

log = logging.getLogger(__name__)


def build_pipeline() -> Pipeline:
    """The stage pipeline of DESIGN.md §5 (`commentsvc.moderate.standard_pipeline`)."""
    return standard_pipeline()


async def run_moderation(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    burst: bool = False,
    pipeline: Pipeline | None = None,
) -> int:
    """Moderate until `stop` is set (or, in burst mode, until the queue is empty)."""
    moderator = Moderator(runtime.service, pipeline or build_pipeline())
    return await run_consumer(
        runtime.moderate_queue,
        moderator.handle,
        name="moderation",
        stop=stop,
        burst=burst,
        batch_size=runtime.settings.batch_size,
    )
