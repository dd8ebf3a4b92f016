"""Whether the database schema is the one this code needs, as readiness and errors tell it.

A process started on a database that was never migrated (or is behind this
release) can't serve: `/readyz` says why, API calls that fail on the database
answer 503 saying the same, workers wait, and the log says it once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from commentsvc.logthrottle import LogThrottle
from commentsvc.store.engine import Database
from commentsvc.store.migrate import schema_problem

log = logging.getLogger(__name__)

CACHE_S = 5.0
CHECK_TIMEOUT_S = 2.0  # an unreachable database must not hold a start-up or an answer
WAIT_POLL_S = 2.0


class SchemaWatch:
    """Checks the schema on demand (cached for `cache_s`); logs a problem once a minute.

    `consequence` ends the log line: what this process does until it is migrated.
    """

    def __init__(self, db: Database, consequence: str, *, cache_s: float = CACHE_S) -> None:
        self.db = db
        self.consequence = consequence
        self.cache_s = cache_s
        self._problem: str | None = None
        self._checked_at: float | None = None
        self._log = LogThrottle(log)

    async def problem(self, *, fresh: bool = False) -> str | None:
        """Why the schema can't serve this code, or None (also when the database can't tell)."""
        now = time.monotonic()
        if not fresh and self._checked_at is not None and now - self._checked_at < self.cache_s:
            return self._problem
        try:
            found = await asyncio.wait_for(schema_problem(self.db), CHECK_TIMEOUT_S)
        except Exception as exc:  # unreachable: the callers' own error handling says so
            log.debug("schema check failed: %s", exc)
            found = None  # and not asked again for `cache_s`, while the database is down
        self._problem, self._checked_at = found, now
        if found is not None:
            self._log.warning("schema", "%s; %s", found, self.consequence)
        return found

    async def wait_ready(self, stop: asyncio.Event, poll_s: float = WAIT_POLL_S) -> bool:
        """Return True once the schema serves this code, False if `stop` is set first."""
        while await self.problem(fresh=True) is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_s)
            if stop.is_set():
                return False
        return True
