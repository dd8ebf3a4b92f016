"""A one-line progress bar on a terminal: counts, rate and ETA (silent when not a tty)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None, *, enabled: bool | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._shown = 0.0

    def update(self, done: int, fraction: float | None, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._shown < 0.2:
            return
        self._shown = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        line = f"{self.label}: {done:,} comments  {rate:,.0f}/s  {_clock(elapsed)}"
        if fraction is not None and fraction > 0:
            fraction = min(fraction, 1.0)
            width = 24
            filled = int(width * fraction)
            eta = elapsed * (1 - fraction) / fraction
            line = (
                f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}  "
                f"{done:,} comments  {rate:,.0f}/s  ETA {_clock(eta)}"
            )
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()

    def close(self, done: int) -> None:
        if self.enabled:
            self.update(done, 1.0, force=True)
            self.stream.write("\n")
            self.stream.flush()
