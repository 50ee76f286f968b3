"""Conversations, their participants, messages and attachments (files kept on disk)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from handlers.storage.models.base import Base, Id, Timestamps


class Conversation(Timestamps, Base):
    __tablename__ = "conversations"

    id: Mapped[str] = Id()
    subject: Mapped[str | None] = mapped_column(String(200))
    booking_id: Mapped[str | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    last_message_preview: Mapped[str | None] = mapped_column(String(200))
    last_message_at: Mapped[datetime | None] = mapped_column()


class ConversationParticipant(Base):
    """Who takes part (a user or practitioner id) and what they have read."""

    __tablename__ = "conversation_participants"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    participant_type: Mapped[str] = mapped_column(String(16), default="user")
    last_read_at: Mapped[datetime | None] = mapped_column()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        Index("ix_messages_sender_created", "sender_id", "created_at"),
    )

    id: Mapped[str] = Id()
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column()
    message_type: Mapped[str] = mapped_column(String(16), default="text")
    file_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()


class Attachment(Base):
    """An uploaded file (`file_...`): metadata here, bytes at `path` under the data dir."""

    __tablename__ = "attachments"

    id: Mapped[str] = Id()
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str | None] = mapped_column(String(64))
    uploader_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column()
