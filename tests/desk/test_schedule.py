"""Desk rules (issue 14): scheduled pre-moderation and auto-close, on a clock the test sets.

Two time zones, each across a daylight-saving change: Europe/London (clocks forward on
2026-03-29 at 01:00 UTC) and America/New_York (forward on 2026-03-08, back on 2026-11-01).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.models import Action, Status, Verdict
from commentsvc.policy import Policy, PolicyError
from commentsvc.review import desk
from commentsvc.schedule import (
    closes_at,
    parse_published,
    parse_window,
    schedule_hold,
    with_schedule,
)
from commentsvc.store.tables import comments
from tests.support import drain, runtime_of
from tests.web.helpers import expect_problem, post, thread


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ----- the windows, pure -----------------------------------------------------------------


def test_windows_parse_days_ranges_lists_and_midnight() -> None:
    w = parse_window("fri-mon 18:00-08:00")
    assert w.days == {4, 5, 6, 0} and (w.start, w.end) == (18 * 60, 8 * 60)
    assert parse_window("daily 00:00-24:00").days == set(range(7))
    assert parse_window("sat,sun 10:00-12:30").days == {5, 6}
    for bad in (
        "",
        "Mon 10:00-11:00",
        "mon 10:00",
        "mon 24:00-01:00",
        "mon  10:00-11:00",
        "weekdays 10:00-11:00",
        "mon 9:00-10:00",
        " mon 10:00-11:00",
    ):
        with pytest.raises(ValueError, match="windows look like"):
            parse_window(bad)


def test_policy_validates_time_zone_and_windows() -> None:
    p = Policy.from_json(
        {"timezone": "Europe/London", "hold_schedule": ["daily 22:00-06:00"], "auto_close_days": 7}
    )
    assert p.hold_schedule == ("daily 22:00-06:00",) and Policy.from_json(p.to_json()) == p
    with pytest.raises(PolicyError) as err:
        Policy.from_json(
            {"timezone": "Mars/Olympus", "hold_schedule": ["nights"], "auto_close_days": -1}
        )
    assert {f for f, _ in err.value.errors} == {"timezone", "hold_schedule", "auto_close_days"}


LONDON_NIGHTS = ("daily 22:00-06:00",)


@pytest.mark.parametrize(
    ("at", "held"),
    [
        (utc(2026, 3, 28, 5, 30), True),  # 05:30 GMT, the day before the change
        (utc(2026, 3, 29, 4, 30), True),  # 05:30 BST
        (utc(2026, 3, 29, 5, 30), False),  # 06:30 BST: the same UTC time as above is day now
        (utc(2026, 3, 28, 21, 59), False),  # 21:59 GMT
        (utc(2026, 3, 29, 21, 0), True),  # 22:00 BST
        (utc(2026, 3, 29, 0, 30), True),  # 00:30 GMT, in the night before the jump
    ],
)
def test_london_nights_across_the_spring_change(at: datetime, held: bool) -> None:
    reason = schedule_hold("Europe/London", LONDON_NIGHTS, at)
    assert (reason is not None) is held
    if reason is not None:
        assert reason.rule == "schedule" and reason.action is Action.HOLD
        assert "Europe/London" in reason.detail


NEW_YORK_DESK = ("mon-fri 20:00-07:00", "sat,sun 00:00-24:00")


@pytest.mark.parametrize(
    ("at", "held"),
    [
        (utc(2026, 3, 3, 11, 30), True),  # Tue 06:30 EST
        (utc(2026, 3, 10, 11, 30), False),  # Tue 07:30 EDT: same UTC, after the change
        (utc(2026, 3, 10, 10, 30), True),  # Tue 06:30 EDT
        (utc(2026, 3, 8, 6, 30), True),  # Sun 01:30 EST, the night of the change
        (utc(2026, 3, 8, 7, 30), True),  # Sun 03:30 EDT
        (utc(2026, 3, 7, 4, 0), True),  # Fri 23:00 EST (the Friday night window)
        (utc(2026, 3, 6, 17, 0), False),  # Fri 12:00 EST
        (utc(2026, 3, 9, 4, 59), False),  # Mon 00:59 EDT: Sunday's window ended at midnight
    ],
)
def test_new_york_desk_hours_across_the_change(at: datetime, held: bool) -> None:
    assert (schedule_hold("America/New_York", NEW_YORK_DESK, at) is not None) is held


def test_a_hold_window_only_makes_milder_verdicts_wait() -> None:
    night = utc(2026, 3, 28, 23, 0)
    held = with_schedule(Verdict(Action.APPROVE), "Europe/London", LONDON_NIGHTS, night)
    assert held.action is Action.HOLD and [r.rule for r in held.reasons] == ["schedule"]
    spam = Verdict(Action.SPAM)
    assert with_schedule(spam, "Europe/London", LONDON_NIGHTS, night) is spam
    day = utc(2026, 3, 28, 12, 0)
    assert with_schedule(Verdict(Action.APPROVE), "Europe/London", LONDON_NIGHTS, day).action is (
        Action.APPROVE
    )


def test_auto_close_keeps_the_local_time_across_dst() -> None:
    # London, 7 days from 12:00 GMT: 12:00 BST, which is 11:00 UTC (not 12:00).
    assert closes_at("Europe/London", 7, utc(2026, 3, 25, 12)) == utc(2026, 4, 1, 11)
    # New York, 3 days from 10:00 EDT over the autumn change: 10:00 EST = 15:00 UTC.
    assert closes_at("America/New_York", 3, utc(2026, 10, 30, 14)) == utc(2026, 11, 2, 15)
    assert closes_at("UTC", 0, utc(2026, 1, 1)) is None


def test_article_dates_are_hints() -> None:
    now = utc(2026, 5, 1)
    assert parse_published("2026-04-20", now) == utc(2026, 4, 20)
    assert parse_published("2026-04-20T10:00:00+02:00", now) == utc(2026, 4, 20, 8)
    for ignored in ("", "yesterday", "2026-13-01", "1900-01-01", "2027-01-01", 5, None):
        assert parse_published(ignored, now) is None


# ----- through the service and the worker ------------------------------------------------


async def _set_created(client: TestClient[Any, Any], comment_id: str, at: datetime) -> None:
    async with runtime_of(client).store.db.write() as conn:
        await conn.execute(
            comments.update().where(comments.c.id == comment_id).values(created_at=at)
        )


async def _status(client: TestClient[Any, Any], comment_id: str) -> tuple[Status, list[str]]:
    c = await runtime_of(client).store.comments.get(comment_id)
    assert c is not None
    return c.status, [r.rule for r in c.reasons]


async def test_comments_received_in_desk_off_hours_wait(client: TestClient[Any, Any]) -> None:
    store = runtime_of(client).store
    await store.sites.update(
        "default",
        policy={
            "flood_max": 10_000,
            "timezone": "America/New_York",
            "hold_schedule": list(NEW_YORK_DESK),
        },
    )
    runtime_of(client).service.forget_site("default")
    night, day = await post(client), await post(client)
    await _set_created(client, night["id"], utc(2026, 3, 10, 10, 30))  # Tue 06:30 EDT
    await _set_created(client, day["id"], utc(2026, 3, 10, 11, 30))  # Tue 07:30 EDT
    await drain(client)
    assert await _status(client, night["id"]) == (Status.PENDING, ["schedule"])
    assert await _status(client, day["id"]) == (Status.APPROVED, [])
    # The author is told why, in words.
    resp = await client.get(
        f"/api/v1/comments/{night['id']}",
        headers={"Authorization": f"Bearer {night['edit_token']}"},
    )
    waiting = (await resp.json())["waiting_because"]
    assert [w["rule"] for w in waiting] == ["schedule"]


async def test_threads_close_days_after_their_first_comment(client: TestClient[Any, Any]) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update(
        "default",
        policy={"flood_max": 10_000, "timezone": "Europe/London", "auto_close_days": 7},
    )
    runtime.service.forget_site("default")
    first = await post(client, thread="world/closing")
    await drain(client)
    await _set_created(client, first["id"], utc(2026, 3, 25, 12))  # 12:00 GMT
    await post(client, thread="world/other")  # a thread that is young: stays open
    await drain(client)
    service = runtime.service
    before = await desk.close_due_threads(service, now=utc(2026, 4, 1, 10, 59))
    assert before == []
    shut = await desk.close_due_threads(service, now=utc(2026, 4, 1, 11, 0))  # 12:00 BST
    assert [t.key for t in shut] == ["world/closing"]
    assert await desk.close_due_threads(service, now=utc(2026, 4, 1, 11, 0)) == []  # once
    page = await thread(client, "world/closing")
    assert page["thread"]["closed"] is True  # the cached page was dropped
    resp = await client.post("/api/v1/comments", json={"thread": "world/closing", "body": "Late?"})
    await expect_problem(resp, 409)
    assert (await thread(client, "world/other"))["thread"]["closed"] is False
    # A moderator who opens it again keeps it open.
    await service.set_thread_closed("default", "world/closing", False)
    assert await desk.close_due_threads(service, now=utc(2026, 5, 1)) == []
    assert (await thread(client, "world/closing"))["thread"]["closed"] is False


async def test_the_article_date_starts_the_clock(client: TestClient[Any, Any]) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", policy={"flood_max": 10_000, "auto_close_days": 2})
    runtime.service.forget_site("default")
    # An old article: its first comment is refused at once (the sweep has not run yet).
    resp = await client.post(
        "/api/v1/comments",
        json={"thread": "world/old", "body": "First!", "thread_published": "2020-01-01"},
    )
    await expect_problem(resp, 409)
    found = await runtime.store.threads.get("default", "world/old")
    assert found is not None and found.published_at == utc(2020, 1, 1)
    # Refused means not stored.
    async with runtime.store.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(comments)) == 0
