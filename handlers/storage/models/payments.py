"""Payment intents (minor units, as the spec's payments use), refunds, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handlers.storage.models.base import Base, Id, Timestamps


class PaymentIntent(Timestamps, Base):
    __tablename__ = "payment_intents"

    id: Mapped[str] = Id()
    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32), default="requires_payment_method")
    payment_method_types: Mapped[list[str]] = mapped_column()
    payment_method: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client_secret: Mapped[str] = mapped_column(String(128))
    amount_refunded: Mapped[int] = mapped_column(default=0)
    last_payment_error: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = Id()
    payment_intent_id: Mapped[str] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    amount: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()


class IdempotencyKey(Base):
    """A replayable answer to a write sent with an `Idempotency-Key`: the same key with the
    same request hash answers the stored response; with another hash, 409."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "operation", "key", name="uq_idempotency_keys"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[Any | None] = mapped_column(JSON)
    response_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
