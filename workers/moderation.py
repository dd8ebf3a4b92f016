"""The moderation worker: consumes the moderate stream in batches."""

from __future__ import annotations

import asyncio
import logging

from commentsvc.moderate import Moderator
from commentsvc.moderation.pipeline import Pipeline, default_stages
from commentsvc.moderation.toxicity import load_toxicity_stage
from commentsvc.moderation.word_stage import WordStage
from commentsvc.queue.consumer import run_consumer
from commentsvc.runtime import Runtime

log = logging.getLogger(__name__)


def build_pipeline() -> Pipeline:
    """The stage pipeline of DESIGN.md §5 with every stage available here.

    The toxicity stage needs the optional extra `commentsvc[toxicity]`; without
    it a warning at start-up says so and every other stage runs.
    """
    return Pipeline(default_stages(words=WordStage(), toxicity=load_toxicity_stage()))


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
