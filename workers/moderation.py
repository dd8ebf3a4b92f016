"""The moderation worker: consumes the moderate stream in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from commentsvc.comments import lessons
from commentsvc.comments.automod import AutoModerator, standard_pipeline
from commentsvc.moderation.learning import ModeratorMemory
from commentsvc.moderation.pipeline import Pipeline
from commentsvc.queue.consumer import run_consumer
from commentsvc.runtime import Runtime

log = logging.getLogger(__name__)


def build_pipeline() -> Pipeline:
    """The stage pipeline of DESIGN.md §5 (`commentsvc.comments.automod.standard_pipeline`)."""
    return standard_pipeline()


async def run_moderation(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    burst: bool = False,
    pipeline: Pipeline | None = None,
) -> int:
    """Moderate until `stop` is set (or, in burst mode, until the queue is empty)."""
    pipeline = pipeline or build_pipeline()
    moderator = AutoModerator(runtime.service, pipeline)
    # What moderators taught the toxicity stage, per site (commentsvc.moderation.learning).
    memories = [
        m for s in pipeline.stages if isinstance(m := getattr(s, "memories", None), ModeratorMemory)
    ]
    learning: asyncio.Task[None] | None = None
    if memories and not burst and stop is not None:
        learning = asyncio.create_task(lessons.keep_fresh(memories[0], runtime.service, stop))
    elif memories:
        try:
            await lessons.refresh(memories[0], runtime.service)
        except Exception:
            log.exception("refreshing what moderators taught the toxicity model failed")
    try:
        return await run_consumer(
            runtime.moderate_queue,
            moderator.handle,
            name="moderation",
            stop=stop,
            burst=burst,
            batch_size=runtime.settings.batch_size,
        )
    finally:
        if learning is not None:
            learning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await learning
