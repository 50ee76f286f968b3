"""Conversations (also as a user's conversation list shows them), messages and files as rows
and as JSON:API resources; who takes part in a conversation (its `x-owner`); the sandbox's
conversations and messages loaded from the seed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.ownership import owns
from handlers.storage.models import (
    Attachment,
    Booking,
    Conversation,
    ConversationParticipant,
    Message,
    Practitioner,
)
from handlers.storage.models.base import utc_now
from handlers.storage.seed import loader

PREVIEW = 200
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})


def listed_conversation(
    c: Conversation, unread: int, participants: list[tuple[str, str]]
) -> dict[str, Any]:
    """`participants`: (id, type) pairs, type `user` or `practitioner`."""
    return {
        "id": c.id,
        "type": "conversation",
        "attributes": {
            "subject": c.subject,
            "last_message_preview": c.last_message_preview,
            "last_message_at": iso(c.last_message_at),
            "unread_count": unread,
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        },
        "relationships": {
            "participants": {"data": [{"id": i, "type": t} for i, t in participants]},
            "booking": ref("booking", c.booking_id),
        },
    }


def message_resource(m: Message) -> dict[str, Any]:
    relationships = {
        "conversation": ref("conversation", m.conversation_id),
        "sender": ref("user", m.sender_id),
    }
    if m.file_id:
        relationships["file"] = ref("file", m.file_id)
    return {
        "id": m.id,
        "type": "message",
        "attributes": {
            "content": m.content,
            "message_type": m.message_type,
            "sender_id": m.sender_id,
            "created_at": iso(m.created_at),
            "read_at": iso(m.read_at),
        },
        "relationships": relationships,
    }


def file_url(a: Attachment) -> str:
    """Where participants download it (the sandbox has no file host; the path is stable)."""
    return f"https://files.klearkarma.com/{a.conversation_id}/{a.id}/{a.filename}"


def file_resource(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "type": "file",
        "attributes": {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "url": file_url(a),
            "created_at": iso(a.created_at),
        },
        "relationships": {
            "conversation": ref("conversation", a.conversation_id),
            "message": ref("message", a.message_id),
        },
    }


def chat_frame(m: Message) -> dict[str, Any]:
    """The /ws `message` frame of a stored message (AsyncAPI ChatMessageDelivered)."""
    return {
        "type": "message",
        "id": m.id,
        "conversation_id": m.conversation_id,
        "sender_id": m.sender_id,
        "content": m.content,
        "message_type": m.message_type,
        "sent_at": iso(m.created_at),
    }


async def participants(
    session: AsyncSession, conversation_ids: Iterable[str]
) -> dict[str, set[str]]:
    """Conversation id -> every id acting in it: participants, and the user account of each
    practitioner participant (one query for all the conversations)."""
    rows = await session.execute(
        select(
            ConversationParticipant.conversation_id,
            ConversationParticipant.participant_id,
            Practitioner.user_id,
        )
        .outerjoin(Practitioner, Practitioner.id == ConversationParticipant.participant_id)
        .where(ConversationParticipant.conversation_id.in_(list(conversation_ids)))
    )
    found: dict[str, set[str]] = {}
    for conversation_id, participant_id, user_id in rows:
        ids = found.setdefault(conversation_id, set())
        ids.add(participant_id)
        if user_id:
            ids.add(user_id)
    return found


@owns("conversation")
async def conversation_owners(session: AsyncSession, conversation_id: str) -> frozenset[str] | None:
    if await session.get(Conversation, conversation_id) is None:
        return None
    return frozenset((await participants(session, [conversation_id])).get(conversation_id, ()))


def _time(value: Any) -> Any:
    return parse_time(value) if isinstance(value, str) else None


@loader("conversation", order=30)
async def load_conversation(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    if await session.get(Conversation, record["id"]) is not None:
        return False
    a = record.get("attributes") or {}
    rels = record.get("relationships") or {}
    booking = ((rels.get("booking") or {}).get("data") or {}).get("id")
    if booking and await session.get(Booking, booking) is None:
        booking = None
    created = _time(a.get("created_at"))
    session.add(
        Conversation(
            id=record["id"],
            subject=a.get("subject"),
            booking_id=booking,
            last_message_preview=a.get("last_message_preview"),
            last_message_at=_time(a.get("last_message_at")),
            **({"created_at": created} if created else {}),
            **({"updated_at": _time(a["updated_at"])} if a.get("updated_at") else {}),
        )
    )
    people = ((rels.get("participants") or {}).get("data")) or []
    if parents.get("user_id") and parents["user_id"] not in [p.get("id") for p in people]:
        people = [*people, {"id": parents["user_id"], "type": "user"}]
    for p in people:
        session.add(
            ConversationParticipant(
                conversation_id=record["id"],
                participant_id=p["id"],
                participant_type=p.get("type") or "user",
            )
        )
    await session.flush()
    return True


@loader("message", order=35)
async def load_message(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    a = record.get("attributes") or {}
    rels = record.get("relationships") or {}
    conversation = ((rels.get("conversation") or {}).get("data") or {}).get("id")
    conversation = conversation or parents.get("conversation_id")
    if await session.get(Message, record["id"]) is not None or not conversation:
        return False
    if await session.get(Conversation, conversation) is None:
        return False
    session.add(
        Message(
            id=record["id"],
            conversation_id=conversation,
            sender_id=a.get("sender_id") or "",
            content=a.get("content") or "",
            message_type=a.get("message_type") or "text",
            file_id=((rels.get("file") or {}).get("data") or {}).get("id"),
            created_at=_time(a.get("created_at")) or utc_now(),
            read_at=_time(a.get("read_at")),
        )
    )
    await session.flush()
    return True
