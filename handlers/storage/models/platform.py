"""Cross-cutting tables: the event outbox, webhooks and their deliveries, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from handlers.storage.models.base import Base, Id, Timestamps


class OutboxEvent(Base):
    """Every domain event, written in the transaction of the change it describes.

    `published_at` is set once it went on the app's bus; `dispatched_at` once webhook
    deliveries were planned for it (the webhooks relay reads rows where it is NULL).
    """

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_dispatched_at", "dispatched_at", "created_at"),)

    id: Mapped[str] = Id()
    type: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column()
    audience: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column()


class Webhook(Timestamps, Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = Id()
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column()
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    failing_since: Mapped[datetime | None] = mapped_column()
    # What the registering caller may read (server.webhook_audience.Grant); NULL: every event
    # (webhooks registered before 0005, when only admin:platform could register them).
    owner_grant: Mapped[dict[str, Any] | None] = mapped_column()


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_retry_at"),)

    id: Mapped[str] = Id()
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt: Mapped[int] = mapped_column(default=1)
    response_status: Mapped[int | None] = mapped_column()
    duration_ms: Mapped[int | None] = mapped_column()
    next_retry_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class WebhookAttempt(Base):
    """One attempt of a delivery, kept for the log: `sending` while it is in flight (left so
    by a crash, then `interrupted`), then `succeeded`, `failed` or `refused`."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int | None] = mapped_column()
    response_status: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(Base):
    """Who did what to which resource, written with the change (one row per write)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resource", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
