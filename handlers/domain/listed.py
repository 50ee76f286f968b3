"""A conversation as a user's conversation list shows it (unread count, participants).

Bookings and payment intents in a user's lists use their own areas' renderers
(`records.booking_resource`, `payment_records.intent_resource`).
"""

from __future__ import annotations

from typing import Any

from handlers.domain.jsonapi import iso, ref
from handlers.storage.models import Conversation


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
