"""Desk rules and webhooks (issue 14) run against the same live app as the web tests."""

from __future__ import annotations

from tests.web.conftest import client

__all__ = ["client"]
