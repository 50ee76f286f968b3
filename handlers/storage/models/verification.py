"""Practitioner verification: each submission of credentials and an administrator's decision
on it (handlers.domain.verification has the process; the latest submission is the state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from handlers.storage.models.base import Base, Id


class PractitionerVerification(Base):
    __tablename__ = "practitioner_verifications"
    __table_args__ = (
        Index("ix_practitioner_verifications_latest", "practitioner_id", "submitted_at"),
    )

    id: Mapped[str] = Id()
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The licence (number, issuing authority, country, expiry) and the documents backing it.
    licence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    documents: Mapped[list[Any]] = mapped_column(default=list)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(String(1000))
