"""The throttle of notification emails: per recipient and thread, at most one email per
window. A row that comes inside the window of the last email joins a digest group
(`digest_group` = "THREAD:CLOSE_EPOCH_S") that falls due when the window closes; the
notifier sends each group as one email."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from commentsvc.validation import is_plain_int


def digest_group_for(thread_id: int, closes_at: datetime) -> str:
    return f"{thread_id}:{math.ceil(closes_at.timestamp())}"


def digest_closes_at(group: str) -> datetime | None:
    _, _, epoch = group.rpartition(":")
    return datetime.fromtimestamp(int(epoch), UTC) if is_plain_int(epoch) else None


def assign_slots(
    history: Iterable[tuple[str, str | None, datetime]],
    recipients: Iterable[str],
    thread_id: int,
    now: datetime,
    window_s: int,
) -> dict[str, str | None]:
    """Recipient → digest group to join (None: send at once).

    `history` holds (recipient, digest_group, created_at) of this thread's
    recent throttled rows. An email "takes" the moment it was queued (immediate
    rows) or its group's closing time (digests); a new row within `window_s`
    of the last one joins the open group, or opens one closing a window after it.
    """
    if window_s <= 0:
        return dict.fromkeys(recipients)
    last: dict[str, datetime] = {}
    open_group: dict[str, str] = {}
    open_closes: dict[str, datetime] = {}
    for recipient, group, created_at in history:
        closes = digest_closes_at(group) if group else None
        if group and closes is not None and closes > open_closes.get(recipient, now):
            open_group[recipient], open_closes[recipient] = group, closes
        slot = closes or created_at
        if recipient not in last or last[recipient] < slot:
            last[recipient] = slot
    out: dict[str, str | None] = {}
    window = timedelta(seconds=window_s)
    for recipient in recipients:
        if recipient in open_group:
            out[recipient] = open_group[recipient]
        elif recipient in last and now < last[recipient] + window:
            out[recipient] = digest_group_for(thread_id, last[recipient] + window)
        else:
            out[recipient] = None
    return out
