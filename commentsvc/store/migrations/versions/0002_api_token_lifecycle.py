"""API tokens that can be revoked: a label, an expiry, a revocation time

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from commentsvc.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only added columns and an index: SQLite does these in place (no table copy).
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_api_tokens_moderator_id"), ["moderator_id"], unique=False
        )


def downgrade() -> None:
    # Revoked or expired tokens would come back to life without these columns: drop them.
    op.execute(
        sa.text("DELETE FROM api_tokens WHERE revoked_at IS NOT NULL OR expires_at IS NOT NULL")
    )
    # SQLite drops columns by copying the table; keep AUTOINCREMENT on the copy.
    with op.batch_alter_table(
        "api_tokens", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_moderator_id"))
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("label")
