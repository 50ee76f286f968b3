"""PostgreSQL: no two active bookings of one practitioner overlap, held by the database (an
exclusion constraint on the practitioner and the booking's [start, end) range, with
btree_gist for the practitioner's equality). A booking is then one statement that needs no
lock and no transaction of its own (handlers.domain.booking_create). Where btree_gist cannot
be created (a role without CREATE on the database), the constraint is left out with a
warning, and bookings take the practitioner's advisory lock as before. SQLite: nothing (its
writer holds the file's write lock from BEGIN IMMEDIATE).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import logging

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NAME = "ex_bookings_active_overlap"  # (handlers.domain.booking_create OVERLAP_GUARD)
log = logging.getLogger("kk.storage")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():  # (a savepoint: a refusal leaves the migration going)
            op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except Exception as e:  # (the database says why; bookings still work without it)
        log.warning("bookings: btree_gist could not be created (%s): no exclusion constraint", e)
        return
    op.execute(
        f"ALTER TABLE bookings ADD CONSTRAINT {NAME} EXCLUDE USING gist "
        "(practitioner_id WITH =, tstzrange(scheduled_at, ends_at) WITH &&) "
        "WHERE (status NOT IN ('cancelled', 'no_show'))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE bookings DROP CONSTRAINT IF EXISTS {NAME}")
