"""Bookings: one session of a user with a practitioner.

Two active bookings can never start at the same time with one practitioner: the partial
unique index `uq_bookings_active_slot` holds that under any concurrency, on SQLite and
PostgreSQL alike (overlaps of different start times are checked under a row lock on the
practitioner, see handlers.domain.bookings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from handlers.storage.models.base import Base, Id, Timestamps

FINAL = ("completed", "cancelled", "no_show")
# Statuses that no longer hold the slot.
RELEASED = ("cancelled", "no_show")
_ACTIVE = text("status NOT IN ('cancelled', 'no_show')")


class Booking(Timestamps, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_active_slot",
            "practitioner_id",
            "scheduled_at",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index("ix_bookings_user_scheduled", "user_id", "scheduled_at"),
        Index("ix_bookings_practitioner_range", "practitioner_id", "scheduled_at", "ends_at"),
        # (the overlap checks, `scheduled_at < end AND ends_at > start`: only the bookings
        # that end after `start`, not the practitioner's whole past; migration 0009)
        Index(
            "ix_bookings_practitioner_ends",
            "practitioner_id",
            "ends_at",
            "scheduled_at",
        ),
    )

    id: Mapped[str] = Id()
    user_id: Mapped[str] = mapped_column(String(64))
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"))
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64))
    scheduled_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    duration: Mapped[int] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    session_type: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column()
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    price_amount: Mapped[int] = mapped_column()
    price_currency: Mapped[str] = mapped_column(String(3))
    payment_status: Mapped[str] = mapped_column(String(24), default="pending")
    cancellation_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancellation_reason: Mapped[str | None] = mapped_column()
    cancellation_fee: Mapped[int | None] = mapped_column()
    refund_amount: Mapped[int | None] = mapped_column()
