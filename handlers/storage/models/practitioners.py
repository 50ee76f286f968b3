"""The practitioner directory: profiles, services, searchable tags and weekly schedules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from handlers.storage.models.base import Base, Id, Timestamps

# PractitionerTag.kind: what the search filters match (one row per list item, in order).
SPECIALIZATION, LANGUAGE, SESSION_TYPE = "specialization", "language", "session_type"


class Practitioner(Timestamps, Base):
    __tablename__ = "practitioners"

    id: Mapped[str] = Id()
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    bio: Mapped[str] = mapped_column(default="")
    rating: Mapped[float] = mapped_column(default=5.0, index=True)
    total_sessions: Mapped[int] = mapped_column(default=0)
    response_time: Mapped[int] = mapped_column(default=60)
    verified: Mapped[bool] = mapped_column(default=False)
    experience: Mapped[int | None] = mapped_column()
    credentials: Mapped[list[Any]] = mapped_column(default=list)
    price_amount: Mapped[int] = mapped_column(index=True)
    price_currency: Mapped[str] = mapped_column(String(3), default="USD")
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Where sessions in person are held (WGS 84 degrees): the GraphQL search's radius filter.
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    # Length of one bookable slot of the weekly schedule, in minutes.
    slot_minutes: Mapped[int] = mapped_column(default=60)
    accepting_bookings: Mapped[bool] = mapped_column(default=True)

    tags: Mapped[list[PractitionerTag]] = relationship(
        order_by="PractitionerTag.position", lazy="raise", cascade="all, delete-orphan"
    )
    services: Mapped[list[Service]] = relationship(
        order_by="Service.position", lazy="raise", cascade="all, delete-orphan"
    )
    schedule: Mapped[list[ScheduleWindow]] = relationship(
        order_by="(ScheduleWindow.weekday, ScheduleWindow.starts)",
        lazy="raise",
        cascade="all, delete-orphan",
    )

    def tag_values(self, kind: str) -> list[str]:
        return [t.value for t in self.tags if t.kind == kind]


class PractitionerTag(Base):
    """One specialization (modality), language or session type of a practitioner."""

    __tablename__ = "practitioner_tags"
    __table_args__ = (Index("ix_practitioner_tags_kind_value", "kind", "value"),)

    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(100))


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = Id()
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    duration: Mapped[int] = mapped_column()
    price_amount: Mapped[int] = mapped_column()
    price_currency: Mapped[str] = mapped_column(String(3), default="USD")
    session_types: Mapped[list[str]] = mapped_column(default=list)


class ScheduleWindow(Base):
    """A weekly working window in the practitioner's timezone (weekday 0 = Monday)."""

    __tablename__ = "schedule_windows"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column()
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class AvailabilityOverride(Base):
    """An exception to the weekly schedule: a day off, or extra hours (UTC instants)."""

    __tablename__ = "availability_overrides"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    available: Mapped[bool] = mapped_column(default=False)


class Review(Base):
    """A user's review of a practitioner (1 to 5 stars)."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_practitioner_recent", "practitioner_id", "created_at", "id"),
    )

    id: Mapped[str] = Id()
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
