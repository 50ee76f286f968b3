"""JSON:API renderers of other areas' resources as a user's lists show them (bookings,
payment intents, conversations), read-only.

The bookings, payments and messaging services own these resources and may render them
too; these follow the same schemas (Booking, PaymentIntent, Conversation) so the two can
be unified into one renderer per resource.
"""

from __future__ import annotations

from typing import Any

from handlers.domain.jsonapi import iso, ref
from handlers.storage.models import Booking, Conversation, PaymentIntent


def _money(amount: int | None, currency: str) -> dict[str, Any]:
    return {"amount": amount or 0, "currency": currency}


def listed_booking(b: Booking) -> dict[str, Any]:
    cancellation = None
    if b.cancelled_at is not None:
        cancellation = {
            "cancelled_at": iso(b.cancelled_at),
            "cancelled_by": b.cancelled_by,
            "reason": b.cancellation_reason,
            "fee": _money(b.cancellation_fee, b.price_currency),
            "refund": _money(b.refund_amount, b.price_currency),
        }
    attributes: dict[str, Any] = {
        "scheduled_at": iso(b.scheduled_at),
        "duration": b.duration,
        "status": b.status,
        "session_type": b.session_type,
        "notes": b.notes,
        "location": b.location,
        "price": _money(b.price_amount, b.price_currency),
        "payment_status": b.payment_status,
        "user_id": b.user_id,
        "practitioner_id": b.practitioner_id,
        "cancellation_policy": dict(b.cancellation_policy or {}),
        "cancellation": cancellation,
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }
    relationships = {
        "practitioner": ref("practitioner", b.practitioner_id),
        "user": ref("user", b.user_id),
    }
    if b.service_id:
        attributes["service_id"] = b.service_id
    if b.payment_intent_id:
        relationships["payment_intent"] = ref("payment_intent", b.payment_intent_id)
    return {"id": b.id, "type": "booking", "attributes": attributes, "relationships": relationships}


def listed_payment(p: PaymentIntent) -> dict[str, Any]:
    """A payment intent without its client secret (which only its creator gets, once)."""
    return {
        "id": p.id,
        "type": "payment_intent",
        "attributes": {
            "booking_id": p.booking_id,
            "amount": p.amount,
            "currency": p.currency,
            "status": p.status,
            "payment_method_types": list(p.payment_method_types),
            "payment_method": p.payment_method,
            "amount_refunded": p.amount_refunded,
            "last_payment_error": p.last_payment_error,
            "created_at": iso(p.created_at),
            "updated_at": iso(p.updated_at),
        },
        "relationships": {"booking": ref("booking", p.booking_id)},
    }


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
