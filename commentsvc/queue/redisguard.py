"""Redis being down: which errors mean it, and the guard that fails fast while it lasts.

While Redis is known to be down, asking it anything costs a connect attempt
and the client's retries with backoff: hundreds of milliseconds for an answer
that is known already. The guard remembers the outage instead. The client's
retry policy (`GuardedRetry`) asks it before every call, so while Redis is down
every call fails at once with `RedisDown` (no round trip), and the callers'
fallbacks (local rate limits, the database's duplicate check, held doorbells)
answer in their usual time. A probe on a connection of its own PINGs Redis in
the background; the first answer ends the outage, wakes whoever waits for it
and runs the recovery callbacks (ring the doorbells held meanwhile, sweep).
The outage is logged twice: when it starts and, with its length, when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from redis.asyncio.retry import Retry
from redis.backoff import AbstractBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

REDIS_DOWN = (RedisError, RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)

PROBE_INTERVAL_S = 0.25

log = logging.getLogger(__name__)
T = TypeVar("T")


class RedisDown(RedisConnectionError):
    """Raised at once, with no round trip, while the guard knows Redis is down."""


@dataclass(frozen=True, slots=True)
class Outage:
    """An outage that has just ended, as the recovery callbacks are told of it."""

    started_at: datetime  # wall clock, when this process first met it
    length_s: float
    failed_fast: int  # calls answered at once meanwhile, with no round trip


Recovery = Callable[[Outage], Awaitable[None]]


def means_gone(error: BaseException) -> bool:
    """True when the error says Redis is not there now (refused, no socket, timed out), so
    retrying in a few milliseconds is pointless; a reset connection is worth one retry."""
    if isinstance(error, RedisDown | RedisTimeoutError | TimeoutError):
        return True
    cause = error.__cause__ or error.__context__
    return isinstance(cause, ConnectionRefusedError | FileNotFoundError | TimeoutError)


class RedisGuard:
    """Whether this process believes Redis is up; while it is not, a probe in the background.

    `probe` is one PING on a client of its own (not guarded, no retries, short
    timeouts). Counters for tests and metrics: `failed_fast` (calls refused without a
    round trip), `probes` (PINGs sent while down), `outages`.
    """

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        *,
        probe_interval_s: float = PROBE_INTERVAL_S,
        name: str = "redis",
    ) -> None:
        self.probe = probe
        self.probe_interval_s = probe_interval_s
        self.name = name
        self.failed_fast = 0
        self.probes = 0
        self.outages = 0
        self._down_since: float | None = None
        self._down_at: datetime | None = None
        self._failed_fast_at_start = 0
        self._up = asyncio.Event()
        self._up.set()
        self._prober: asyncio.Task[None] | None = None
        self._recoveries: list[Recovery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def down(self) -> bool:
        return self._down_since is not None

    @property
    def down_for_s(self) -> float:
        return 0.0 if self._down_since is None else time.monotonic() - self._down_since

    def on_recovery(self, callback: Recovery) -> None:
        """Call `callback` (as a task) each time an outage ends."""
        self._recoveries.append(callback)

    def check(self) -> None:
        """Raise `RedisDown` at once if Redis is known to be down."""
        if self._down_since is not None:
            self.failed_fast += 1
            raise RedisDown(f"{self.name} known to be down (for {self.down_for_s:.1f} s); not sent")

    def report(self, error: BaseException) -> None:
        """A call found Redis unreachable: start an outage unless one is on already."""
        if self._down_since is not None or self._closed:
            return
        self._down_since = time.monotonic()
        self._down_at = datetime.now(UTC)
        self._failed_fast_at_start = self.failed_fast
        self.outages += 1
        self._up.clear()
        log.warning(
            "%s unreachable (%s); failing fast and probing every %.2f s until it answers",
            self.name,
            error,
            self.probe_interval_s,
        )
        self._prober = asyncio.get_running_loop().create_task(self._probe_until_up())

    async def wait_up(self, stop: asyncio.Event | None = None) -> None:
        """Return once Redis is up again (at once if it is), or once `stop` is set."""
        if not self.down:
            return
        waits = [asyncio.ensure_future(self._up.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval_s)
            self.probes += 1
            try:
                await self.probe()
            except Exception as exc:  # refused, timed out, LOADING, a bad password: still down
                log.debug("%s probe: %s", self.name, exc)
                continue
            self._recovered()
            return

    def _recovered(self) -> None:
        started = self._down_at or datetime.now(UTC)
        outage = Outage(started, self.down_for_s, self.failed_fast - self._failed_fast_at_start)
        self._down_since = self._down_at = None
        self._up.set()
        log.warning(
            "%s reachable again after an outage of %.1f s (%d calls failed fast meanwhile)",
            self.name,
            outage.length_s,
            outage.failed_fast,
        )
        for callback in self._recoveries:
            task = asyncio.get_running_loop().create_task(self._run_recovery(callback, outage))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_recovery(self, callback: Recovery, outage: Outage) -> None:
        try:
            await callback(outage)
        except Exception:
            log.exception("%s: a recovery callback failed", self.name)

    async def close(self) -> None:
        """Stop probing and wait for recovery callbacks in progress."""
        self._closed = True
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class GuardedRetry(Retry):
    """redis-py's retry policy, asking the guard first and telling it of outages.

    While the guard says Redis is down, a call raises `RedisDown` before any
    connect attempt. An error that means Redis is gone (`means_gone`) is not
    retried; other connection errors are retried as by `Retry`, and reported to
    the guard if they outlast the retries.
    """

    def __init__(self, guard: RedisGuard, backoff: AbstractBackoff, retries: int) -> None:
        super().__init__(backoff, retries)
        self.guard = guard

    def __deepcopy__(self, memo: dict[int, Any]) -> GuardedRetry:
        # Every connection copies its client's policy; the copies must share one guard.
        copied = GuardedRetry(self.guard, copy.deepcopy(self._backoff, memo), self._retries)
        copied._supported_errors = self._supported_errors
        return copied

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[T]],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        self.guard.check()

        def retryable(error: Exception) -> bool:
            if means_gone(error):
                self.guard.report(error)
            if self.guard.down:
                return False
            return is_retryable is None or is_retryable(error)

        try:
            return await super().call_with_retry(do, fail, retryable, with_failure_count)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self.guard.report(exc)
            raise
