"""The comment tests use the moderator tests' live app (SQLite and real Redis)."""

from tests.moderators.conftest import client

__all__ = ["client"]
