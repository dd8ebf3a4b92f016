"""Desk rules in the site's own time zone (issue 14): scheduled pre-moderation and auto-close.

Pure functions of a policy and an instant; the caller brings the clock.

- `hold_schedule` lists windows such as ``"mon-fri 18:00-08:00"`` or
  ``"sat,sun 00:00-24:00"``: days (``mon``..``sun``, ranges ``mon-fri``, lists
  ``sat,sun``, or ``daily``), then a local start and end. A window whose end is at
  or before its start runs past midnight into the next day (it belongs to the day
  it starts on). Times are wall-clock times in the site's `timezone`, so a window
  keeps its local hours across a daylight-saving change.
- `auto_close_days` closes a thread that many days after its first comment (or the
  article's date, when the embed gave one), at the same local wall-clock time.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from commentsvc.models import Action, Reason, Verdict

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = "(?:" + "|".join(DAYS) + ")"
_DAY_PART = f"{_DAY}(?:-{_DAY})?"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
WINDOW_PATTERN = f"^(?:daily|{_DAY_PART}(?:,{_DAY_PART})*) {_TIME}-(?:{_TIME}|24:00)$"
"""A window, exactly (ECMA-262 and Python alike; the OpenAPI description uses it too)."""
_WINDOW = re.compile(WINDOW_PATTERN)
MAX_WINDOWS = 50
RULE = "schedule"


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA names `timezone` accepts."""
    return frozenset(available_timezones())


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # 1..1440; at or before start: runs into the next day
    text: str

    def holds(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        if self.start < self.end:
            return today in self.days and self.start <= minute < self.end
        # Past midnight: the evening part today, the morning part the day after it started.
        return (today in self.days and minute >= self.start) or (
            (today - 1) % 7 in self.days and minute < self.end
        )


def parse_window(text: str) -> Window:
    """One window; ValueError naming what is wrong."""
    if not isinstance(text, str) or not _WINDOW.match(text):
        raise ValueError(
            'windows look like "mon-fri 18:00-08:00" or "sat,sun 00:00-24:00" '
            "(days mon..sun, ranges, lists or daily; 24-hour local times)"
        )
    days_text, hours = text.split(" ")
    days: set[int] = set()
    if days_text == "daily":
        days = set(range(7))
    else:
        for part in days_text.split(","):
            first, _, last = part.partition("-")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    start_text, end_text = hours.split("-")
    return Window(frozenset(days), _minutes(start_text), _minutes(end_text), text)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@lru_cache(maxsize=1024)
def windows(texts: tuple[str, ...]) -> tuple[Window, ...]:
    return tuple(parse_window(t) for t in texts)


def schedule_hold(timezone: str, hold_schedule: tuple[str, ...], at: datetime) -> Reason | None:
    """The `schedule` hold reason if `at` falls in one of the site's hold windows."""
    if not hold_schedule:
        return None
    local = at.astimezone(zone(timezone))
    for window in windows(hold_schedule):
        if window.holds(local):
            return Reason(
                RULE,
                f"received {local:%a %H:%M} {timezone}, inside the hold window {window.text!r}",
                Action.HOLD,
            )
    return None


def closes_at(timezone: str, days: int, since: datetime) -> datetime | None:
    """When a thread opened at `since` closes: `days` later at the same local time (UTC)."""
    if days <= 0:
        return None
    tz = zone(timezone)
    local = since.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    # A wall-clock time skipped by a DST change maps past the gap (fold=0), as zoneinfo does.
    return local.replace(tzinfo=tz).astimezone(UTC)


def is_closed_by_age(timezone: str, days: int, since: datetime | None, now: datetime) -> bool:
    """Whether auto-close has closed a thread whose clock started at `since`."""
    if since is None:
        return False
    due = closes_at(timezone, days, since)
    return due is not None and now >= due


def with_schedule(
    verdict: Verdict, timezone: str, hold_schedule: tuple[str, ...], received_at: datetime
) -> Verdict:
    """The verdict, held with a `schedule` reason if the comment came in a hold window.

    Only a verdict milder than a hold changes: outside the windows the normal policy applies,
    and inside them spam and rejections stay what they are.
    """
    if verdict.action.severity >= Action.HOLD.severity:
        return verdict
    reason = schedule_hold(timezone, hold_schedule, received_at)
    if reason is None:
        return verdict
    return dataclasses.replace(verdict, action=Action.HOLD, reasons=(*verdict.reasons, reason))


EARLIEST_ARTICLE = datetime(1990, 1, 1, tzinfo=UTC)
"""Article dates before this, or more than a day ahead, are not believed (and ignored)."""


def parse_published(raw: object, now: datetime) -> datetime | None:
    """The embed's article date (`YYYY-MM-DD` or RFC 3339), or None when unreadable or
    implausible: a hint from the page, so a bad one is ignored rather than refused."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        return None
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if not EARLIEST_ARTICLE <= value <= now + timedelta(days=1):
        return None
    return value
