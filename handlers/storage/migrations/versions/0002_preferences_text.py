"""user_preferences.language and .timezone hold whatever the spec accepts (it sets no maximum
length): PostgreSQL enforced VARCHAR(35)/(64) with a 500 where SQLite stored the value.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.alter_column(
            "language", type_=sa.Text(), existing_type=sa.String(length=35), existing_nullable=False
        )
        batch.alter_column(
            "timezone", type_=sa.Text(), existing_type=sa.String(length=64), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.alter_column(
            "language", type_=sa.String(length=35), existing_type=sa.Text(), existing_nullable=False
        )
        batch.alter_column(
            "timezone", type_=sa.String(length=64), existing_type=sa.Text(), existing_nullable=False
        )
