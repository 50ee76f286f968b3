"""Helpers of the payments tests: bookings stored directly (the payments area needs only the
rows), tokens, request bodies and outbox reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from handlers.domain.context import Domain, domain_of
from handlers.storage.ids import new_id
from handlers.storage.models import Booking, OutboxEvent, Practitioner
from kkapp.factory import Built
from server.auth.services import auth_of

SCOPES = ["read:bookings", "write:bookings"]
PAYER = "user_payer_1"
SUCCEEDS, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"


def domain(built: Built) -> Domain:
    return domain_of(built.runtime.extras)


def bearer(built: Built, subject: str = PAYER, scopes: list[str] | None = None) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, scopes or SCOPES)
    return {"Authorization": f"Bearer {token}"}


def refunder(built: Built) -> dict[str, str]:
    """An administrator's bearer: refunds are the practitioner's or an admin's, never the
    payer's (handlers.domain.refunds)."""
    return bearer(built, "user_admin_1", [*SCOPES, "admin:users"])


async def booking_of(
    built: Built, user_id: str = PAYER, price: int = 75, currency: str = "USD", **extra: Any
) -> str:
    """A pending booking of `user_id` with a practitioner of its own; its id."""
    d = await domain(built).ready()
    prac, booking = new_id("practitioner"), new_id("booking")
    start = datetime(2024, 2, 1, 10, tzinfo=UTC)
    async with d.db.transaction() as session:
        session.add(Practitioner(id=prac, first_name="P", last_name="Q", price_amount=price))
        await session.flush()
        session.add(
            Booking(
                id=booking,
                user_id=user_id,
                practitioner_id=prac,
                scheduled_at=start,
                ends_at=start + timedelta(minutes=60),
                duration=60,
                session_type="video_call",
                price_amount=price,
                price_currency=currency,
                **extra,
            )
        )
    return booking


async def booking_row(built: Built, booking_id: str) -> Booking:
    async with domain(built).db.session() as session:
        return await session.get_one(Booking, booking_id)


async def events(built: Built, event_type: str) -> list[OutboxEvent]:
    async with domain(built).db.session() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.id)
        )
        return list(rows)


def intent_body(booking_id: str, amount: int = 7500, currency: str = "USD") -> dict[str, Any]:
    attrs = {"booking_id": booking_id, "amount": amount, "currency": currency}
    return {"data": {"type": "payment_intent", "attributes": attrs}}


def card_body(number: str = SUCCEEDS, exp_year: int = 2030) -> dict[str, Any]:
    card = {"number": number, "exp_month": 12, "exp_year": exp_year, "cvc": "123"}
    method = {"type": "card", "card": card}
    return {"data": {"type": "payment_intent", "attributes": {"payment_method": method}}}


def refund_body(amount: int | None = None, reason: str | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if amount is not None:
        attrs["amount"] = amount
    if reason is not None:
        attrs["reason"] = reason
    return {"data": {"type": "refund", "attributes": attrs}}
