"""A log line for a condition that recurs (every request, every pass): once a minute at most."""

from __future__ import annotations

import logging
import time
from typing import Any

INTERVAL_S = 60.0


class LogThrottle:
    """Logs each kind of message at most once per `interval_s`, counting the ones held back."""

    def __init__(self, logger: logging.Logger, interval_s: float = INTERVAL_S) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, kind: str, msg: str, *args: Any) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval_s:
            self._held[kind] = self._held.get(kind, 0) + 1
            return
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        if held:
            msg, args = msg + " (%d more since the last such line)", (*args, held)
        self.logger.warning(msg, *args)
