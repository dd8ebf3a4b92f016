"""One SQLite writer at a time across processes, handed over without SQLite's busy sleeps.

`serve` runs several processes that write one SQLite file (API processes, the
workers). SQLite lets one of them hold the write lock; the others, inside
`BEGIN IMMEDIATE`, wait in its busy handler, which sleeps 1, 2, 5, 10, 15, 20,
25, ... up to 100 ms between tries. Under load a waiter keeps losing to the
writers that come back sooner, and a moderation batch waited tens of
milliseconds for each transaction while the lock was free most of that time.

The gate is an exclusive `flock` on a file beside the database, taken before
`BEGIN IMMEDIATE` and let go after the commit or rollback. Taking it costs one
system call when it is free; while another process holds it, a thread blocks
in `flock` (Python's lock let go, no polling) and the kernel wakes it as the
holder lets go, so a writer starts as soon as the previous one ends. The kernel drops the lock of a
process that dies, so a killed writer never blocks the others. Writers that do
not take the gate (other tools on the same file) still meet SQLite's own lock
and busy timeout: the gate only orders our writers, SQLite stays the guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class WriterGate:
    """An exclusive lock file shared by every process writing one SQLite database.

    Within a process, callers must already be serialized (the `Database` write lock):
    the lock belongs to the process's open file, not to a task.
    """

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._fd: int | None = None
        self._pid = 0
        self._held = False

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def _try(self) -> bool:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _wait(self) -> bool:
        """Block until the lock is ours (runs in a thread)."""
        fcntl.flock(self._file(), fcntl.LOCK_EX)
        return True

    async def acquire(self) -> None:
        """Take the gate; after `timeout_s` go on without it (SQLite's lock still holds)."""
        try:
            got = self._try() or await self._wait_in_thread()
        except OSError as exc:  # a read-only directory, say: SQLite's own lock is enough
            log.warning("SQLite writer gate %s unusable (%s); going on without it", self.path, exc)
            return
        if not got:
            log.warning(
                "SQLite writer gate %s held for over %.0f s; writing without it",
                self.path,
                self.timeout_s,
            )
        self._held = got

    async def _wait_in_thread(self) -> bool:
        waiting = asyncio.get_running_loop().run_in_executor(None, self._wait)
        try:
            return await asyncio.wait_for(asyncio.shield(waiting), self.timeout_s)
        except (asyncio.CancelledError, TimeoutError) as exc:
            # The thread still gets the lock in the end: let it go then, unless a later
            # writer of this process holds it by now (the lock is the process's, not a task's).
            waiting.add_done_callback(self._release_unclaimed)
            if isinstance(exc, TimeoutError):
                return False
            raise

    def _release_unclaimed(self, waiting: asyncio.Future[bool]) -> None:
        got = not waiting.cancelled() and waiting.exception() is None and waiting.result()
        if got and not self._held and self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def release(self) -> None:
        if self._held and self._fd is not None:
            self._held = False
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
