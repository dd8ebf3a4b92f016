"""The moderation worker: consumes the moderate stream in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection

from commentsvc.comments import lessons
from commentsvc.comments.automod import AutoModerator, standard_pipeline
from commentsvc.moderation.learning import ModeratorMemory
from commentsvc.moderation.pipeline import Pipeline
from commentsvc.policy import policy_of
from commentsvc.queue.consumer import run_consumer
from commentsvc.queue.entries import Job
from commentsvc.runtime import Runtime
from workers.heap import HeapFreezer

log = logging.getLogger(__name__)

MODERATION_BATCH = 200
"""Up to this many waiting jobs are read and decided as one batch (more if the
`batch_size` setting says so). A batch costs about the same few queries and one
transaction whatever its size, so when comments arrive faster than one batch's
time the worker keeps up by taking what has gathered meanwhile; it never waits
for a batch to fill."""


def build_pipeline() -> Pipeline:
    """The stage pipeline of DESIGN.md §5 (`commentsvc.comments.automod.standard_pipeline`)."""
    return standard_pipeline()


async def warm_up(pipeline: Pipeline, runtime: Runtime) -> None:
    """Compile the sites' word lists and run every stage once before the first job.

    Without this the first comment after a start waited seconds for them. A failure
    here is logged and left to the first batch, which meets it the usual way.
    """
    started = time.perf_counter()
    try:
        policies = [policy_of(site) for site in await runtime.store.sites.all()]
        count = await asyncio.to_thread(pipeline.warm, policies)
    except Exception:
        log.exception("warming the moderation stages failed; the first batch will do it")
        return
    elapsed_s = time.perf_counter() - started
    log.info("moderation stages ready for %d word list(s) in %.2f s", count, elapsed_s)


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
    await warm_up(pipeline, runtime)
    freezer = HeapFreezer()
    freezer.check()

    async def handle(jobs: list[Job]) -> Collection[str]:
        try:
            return await moderator.handle(jobs)
        finally:
            freezer.check()  # a batch may have compiled a site's word list

    try:
        return await run_consumer(
            runtime.moderate_queue,
            handle,
            name="moderation",
            stop=stop,
            burst=burst,
            batch_size=max(runtime.settings.batch_size, MODERATION_BATCH),
        )
    finally:
        if learning is not None:
            learning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await learning
