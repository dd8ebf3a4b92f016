"""The one clock: aware UTC datetimes (storage, tokens and emails all speak UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC)
