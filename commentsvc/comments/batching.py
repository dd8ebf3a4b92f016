"""Group commit: callers submit one item each; a flusher writes whatever has gathered in one go."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

Outcomes = Sequence[BaseException | None] | None
"""What a flush returns: None when every item went in, else one entry per item."""
Flush = Callable[[list[T]], Awaitable[Outcomes]]


class Batcher(Generic[T]):
    """Coalesces concurrent `submit` calls into batches for `flush`.

    There is no timer: the first item starts a flush at once, and whatever
    arrives while a flush runs goes in the next one. Light load gets no added
    latency; heavy load gets big batches. `submit` returns once its item's
    batch has been flushed, and raises if that flush failed. A flush may instead
    return one entry per item, None or the exception for that item alone.
    """

    def __init__(self, flush: Flush[T], max_batch: int = 256) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        await asyncio.shield(future)

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = (
                self._pending[: self._max_batch],
                self._pending[self._max_batch :],
            )
            try:
                outcomes = await self._flush([item for item, _ in batch])
            except Exception as exc:  # each caller gets the failure of its own batch
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes or [None] * len(batch), strict=True):
                if future.done():
                    continue
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)

    async def drain(self) -> None:
        """Wait for everything submitted so far to be flushed."""
        if self._task is not None:
            await asyncio.shield(self._task)
