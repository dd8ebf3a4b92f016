"""Each subscription remembers its reader's language, so their emails are in it (issue 16)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the reader gave none (older rows, the API without `lang`): the site's default.
    op.add_column("subscriptions", sa.Column("lang", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("lang")
