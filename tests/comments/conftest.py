"""The comment tests use the moderator tests' live app (SQLite and real Redis; `any_client`
also on PostgreSQL)."""

from tests.moderators.conftest import any_client, client

__all__ = ["any_client", "client"]
