"""A recurring condition is logged once per interval, with the count held back."""

from __future__ import annotations

import logging

import pytest

from commentsvc.logthrottle import LogThrottle

log = logging.getLogger("tests.logthrottle")


def test_a_recurring_line_is_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LogThrottle(log, interval_s=3600)
    with caplog.at_level(logging.WARNING, logger=log.name):
        for i in range(5):
            throttle.warning("schema", "not migrated (%d)", i)
        throttle.warning("other", "another kind")
    assert [r.getMessage() for r in caplog.records] == ["not migrated (0)", "another kind"]


def test_the_next_line_says_how_many_were_held_back(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LogThrottle(log, interval_s=0.0)  # every line is "the next interval"
    with caplog.at_level(logging.WARNING, logger=log.name):
        throttle.warning("k", "first")
        throttle.interval_s = 3600
        throttle.warning("k", "held")
        throttle.warning("k", "held")
        throttle.interval_s = 0.0
        throttle.warning("k", "again")
    assert [r.getMessage() for r in caplog.records] == [
        "first",
        "again (2 more since the last such line)",
    ]
