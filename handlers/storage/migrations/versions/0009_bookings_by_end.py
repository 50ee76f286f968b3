"""Bookings by practitioner and end (`ix_bookings_practitioner_ends`): the overlap checks
(`scheduled_at < end AND ends_at > start`) walk only the practitioner's bookings that end
after the new one starts, not every booking before it.

The index they used, on (practitioner, start), answers `scheduled_at < end` with the
practitioner's whole past, and it grew with every booking kept: on SQLite, the writer's plan
of a booking after 1,000 others of its practitioner took 270 us, in the one serial section
of every booking (bench/RESULTS.md, "The overlap check walked the past"). With this index it
takes 43 us, whatever the past holds.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_bookings_practitioner_ends",
        "bookings",
        ["practitioner_id", "ends_at", "scheduled_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_practitioner_ends", table_name="bookings")
