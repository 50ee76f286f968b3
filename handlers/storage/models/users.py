"""Accounts, their preferences and health profiles (tags users, health_records).

User ids are identity subjects (`user_...`, `test_user_...`); the identity layer
(server.auth) owns sign-in, this table the profile.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from handlers.storage.models.base import Base, Id, Timestamps


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[str] = Id()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    phone_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user_type: Mapped[str] = mapped_column(String(20), default="patient")
    verified: Mapped[bool] = mapped_column(default=False)

    preferences: Mapped[UserPreferences | None] = relationship(
        back_populates="user", lazy="raise", uselist=False
    )
    health_profile: Mapped[HealthProfile | None] = relationship(
        back_populates="user", lazy="raise", uselist=False
    )


class EmailChange(Base):
    """A new email address waiting for its owner to verify it (the account keeps its old
    address until then); only the token's SHA-256 is stored."""

    __tablename__ = "email_changes"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320))
    token_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class UserPreferences(Timestamps, Base):
    __tablename__ = "user_preferences"

    id: Mapped[str] = Id()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # Text: the spec bounds neither (a BCP 47 tag, an IANA zone name).
    language: Mapped[str] = mapped_column(Text, default="en")
    timezone: Mapped[str] = mapped_column(Text, default="UTC")
    notifications: Mapped[dict[str, Any]] = mapped_column(default=dict)
    privacy: Mapped[dict[str, Any]] = mapped_column(default=dict)

    user: Mapped[User] = relationship(back_populates="preferences", lazy="raise")


class HealthProfile(Timestamps, Base):
    __tablename__ = "health_profiles"

    id: Mapped[str] = Id()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    conditions: Mapped[list[str]] = mapped_column(default=list)
    allergies: Mapped[list[str]] = mapped_column(default=list)
    medications: Mapped[list[str]] = mapped_column(default=list)
    goals: Mapped[list[str]] = mapped_column(default=list)
    emergency_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[User] = relationship(back_populates="health_profile", lazy="raise")


class HealthRecordShare(Base):
    """A user's consent for a practitioner to read parts of their health profile."""

    __tablename__ = "health_record_shares"

    id: Mapped[str] = Id()
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    record_types: Mapped[list[str]] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
