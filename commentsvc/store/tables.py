"""SQLAlchemy Core tables (DESIGN.md §3). The Alembic migrations build exactly this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("allowed_origins", sa.JSON, nullable=False),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("mail", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

threads = sa.Table(
    "threads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("title", sa.String(512), nullable=False, server_default=""),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("feedback_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Issue 14: the article's date when the embed gives one (auto-close counts from it), and
    # whether auto-close may close the thread (a moderator who reopens it turns that off).
    sa.Column("published_at", UTCDateTime, nullable=True),
    sa.Column("auto_close", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("site_id", "key"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.String(26), primary_key=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("thread_id", sa.Integer, sa.ForeignKey("threads.id"), nullable=False),
    sa.Column("parent_id", sa.String(26), sa.ForeignKey("comments.id"), nullable=True),
    sa.Column("root_id", sa.String(26), nullable=False),
    sa.Column("depth", sa.Integer, nullable=False, server_default="0"),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("anchor", sa.JSON, nullable=True),
    sa.Column("author_name", sa.String(64), nullable=False),
    sa.Column("author_email", sa.String(254), nullable=True),
    sa.Column("ip_hash", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("honeypot", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("moderation", sa.JSON, nullable=False),
    sa.Column("votes_up", sa.Integer, nullable=False, server_default="0"),
    sa.Column("votes_down", sa.Integer, nullable=False, server_default="0"),
    sa.Column("score", sa.Integer, nullable=False, server_default="0"),
    sa.Column("flag_count", sa.Integer, nullable=False, server_default="0"),
    # Flags a moderator has already looked at (approving a flagged comment clears its reports).
    sa.Column("flags_reviewed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("edited_at", UTCDateTime, nullable=True),
    sa.Column("first_approved_at", UTCDateTime, nullable=True),
    sa.Column("notified_at", UTCDateTime, nullable=True),
    sa.Column("edit_token_hash", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # Issue 14: featured by a moderator (shown in the thread's Featured strip), and a staff
    # reply (posted by a moderator from /moderate, never moderated).
    sa.Column("featured_at", UTCDateTime, nullable=True),
    sa.Column("staff", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(None, "thread_id", "parent_id", "status"),
    sa.Index(None, "root_id"),
    sa.Index(None, "status", "created_at"),
    sa.Index(None, "site_id", "status", "created_at"),
    sa.Index(None, "body_hash", "created_at"),
    sa.Index(None, "ip_hash", "created_at"),
    sa.Index(None, "author_email"),
    sa.Index(None, "parent_id"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("thread_id", sa.Integer, sa.ForeignKey("threads.id"), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("confirmed_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # The reader's language (a shipped one) for their emails; NULL: the site's default.
    sa.Column("lang", sa.String(16), nullable=True),
    sa.UniqueConstraint("thread_id", "email", "kind"),
    sa.Index(None, "email"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("comment_id", sa.String(26), sa.ForeignKey("comments.id"), nullable=True),
    sa.Column("template", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("digest_group", sa.String(128), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("thread_id", sa.Integer, nullable=True),
    sa.Column("subscription_id", sa.Integer, nullable=True),
    sa.Column("data", sa.JSON, nullable=True),
    sa.UniqueConstraint("recipient", "comment_id"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "thread_id", "created_at"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

moderators = sa.Table(
    "moderators",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("sites", sa.JSON, nullable=False),
    sa.Column("notify_pending", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("moderator_id", sa.Integer, sa.ForeignKey("moderators.id"), nullable=False),
    sa.Column("csrf_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index(None, "expires_at"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("moderator_id", sa.Integer, sa.ForeignKey("moderators.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Written at most once a minute per token (TOKEN_TOUCH_EVERY), never per request.
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("label", sa.String(100), nullable=False, server_default=""),
    sa.Column("expires_at", UTCDateTime, nullable=True),  # None: never expires
    sa.Column("revoked_at", UTCDateTime, nullable=True),  # kept, so a listing shows it
    sa.Index(None, "moderator_id"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("comment_id", sa.String(26), sa.ForeignKey("comments.id"), nullable=False),
    sa.Column("actor", sa.String(254), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index(None, "comment_id"),
    sa.Index(None, "at"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

bans = sa.Table(
    "bans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(254), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("created_by", sa.String(254), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "site_id", "kind", "value"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("comment_id", sa.String(26), sa.ForeignKey("comments.id"), primary_key=True),
    sa.Column("voter", sa.String(64), primary_key=True),
    sa.Column("value", sa.SmallInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Keyed hash of the voter's address: caps how many voter ids one address may use.
    sa.Column("ip_hash", sa.String(32), nullable=False, server_default=""),
)

flags = sa.Table(
    "flags",
    metadata,
    sa.Column("comment_id", sa.String(26), sa.ForeignKey("comments.id"), primary_key=True),
    sa.Column("reporter", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# ----- webhooks (issue 14; commentsvc/webhooks) -------------------------------------------

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("format", sa.String(16), nullable=False, server_default="json"),
    # The signing secret is derived from the installation key and this salt (never stored).
    sa.Column("secret_salt", sa.String(64), nullable=False),
    sa.Column("allow_private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("disabled_at", UTCDateTime, nullable=True),
    sa.Column("disabled_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.String(254), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "site_id"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("endpoint_id", sa.Integer, sa.ForeignKey("webhook_endpoints.id"), nullable=False),
    # "e123" for the audit event 123, "t45.7" for thread 45 closed at its version 7.
    sa.Column("event_key", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("event_key", "endpoint_id"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "endpoint_id", "created_at"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)

webhook_cursor = sa.Table(
    "webhook_cursor",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

# ----- the corrections desk (issue 16; commentsvc/corrections) ----------------------------

corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("thread_id", sa.Integer, sa.ForeignKey("threads.id"), nullable=False),
    # The passage, as inline feedback anchors it: {quote, prefix, suffix, block}.
    sa.Column("anchor", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False),  # the reader's, private to the newsroom
    sa.Column("reporter_email", sa.String(254), nullable=True),
    sa.Column("lang", sa.String(16), nullable=False, server_default="en"),
    sa.Column("ip_hash", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=False, server_default=""),
    # open | corrected | not_an_error | duplicate | spam
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("public_note", sa.Text, nullable=False, server_default=""),
    sa.Column("decided_by", sa.String(254), nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    # The reporter's email: confirmed from an emailed link, told of a correction once.
    sa.Column("email_confirmed_at", UTCDateTime, nullable=True),
    sa.Column("notified_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "site_id", "status", "created_at"),
    sa.Index(None, "thread_id", "status"),
    sqlite_autoincrement=True,  # SQLite must never hand a deleted row's id out again
)
