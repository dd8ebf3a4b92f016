"""The corrections desk (issue 16): readers' private reports of an error in a passage

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from commentsvc.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reporter_email", sa.String(length=254), nullable=True),
        sa.Column("lang", sa.String(length=16), server_default="en", nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("public_note", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("email_confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_corrections_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_corrections_thread_id_threads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_corrections_site_id_status_created_at"),
        "corrections",
        ["site_id", "status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_corrections_thread_id_status"),
        "corrections",
        ["thread_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_corrections_thread_id_status"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_site_id_status_created_at"), table_name="corrections")
    op.drop_table("corrections")
