"""Payment intents: create for a booking (its price), read, confirm with a card.

States: `requires_payment_method` -> `succeeded` (charged) or back to
`requires_payment_method` with `last_payment_error` (declined: 402, `payment.failed`).
Confirming an intent that succeeded, or any intent of a booking already paid, is 409.

Concurrency: a confirm locks the booking's row (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite serializes writers with `BEGIN IMMEDIATE`) before it reads the intent, so two
confirms of one booking charge once: the second sees `succeeded` and answers 409.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from handlers.domain.booking_resources import booking_resource, people_of
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.gateway import Card, gateway_of
from handlers.domain.payment_resources import intent_event, may_act, minor_units
from handlers.domain.unit import Unit, read
from handlers.storage.ids import new_id
from handlers.storage.models import Booking, PaymentIntent
from kkcore.errors import Problem

__all__ = ["Confirmed", "PaymentService"]
PAID = ("succeeded", "refunded", "partially_refunded")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")


@dataclass(frozen=True)
class Confirmed:
    """The intent after a confirm; `decline` (code, message) when the card was refused."""

    intent: PaymentIntent
    decline: tuple[str, str] | None = None


def _problem(detail: str, attribute: str) -> list[Problem]:
    return [Problem(detail, pointer=f"/data/attributes/{attribute}")]


class PaymentService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def _booking(self, unit: Unit, booking_id: str, lock: bool = True) -> Booking | None:
        query = select(Booking).where(Booking.id == booking_id)
        return await unit.session.scalar(query.with_for_update() if lock else query)

    async def create(self, unit: Unit, who: Caller, attrs: dict[str, Any]) -> PaymentIntent:
        """A new intent for the caller's booking, for exactly the booking's price."""
        booking = await self._booking(unit, attrs["booking_id"])
        if booking is None or not (who.admin or booking.user_id in who.ids):
            raise NotFound(problems=_problem("No such booking", "booking_id"))
        if booking.payment_status in PAID or await self._paid(unit, booking.id):
            raise ResourceConflict(problems=_problem("The booking is paid already", "booking_id"))
        currency = booking.price_currency
        if attrs["currency"] != currency:
            detail = f"The booking is priced in {currency}"
            raise Unprocessable(problems=_problem(detail, "currency"))
        price = minor_units(booking.price_amount, currency)
        if attrs["amount"] != price:
            detail = f"amount must equal the booking's price: {price} (minor units of {currency})"
            raise Unprocessable(problems=_problem(detail, "amount"))
        intent_id = new_id("payment_intent")
        intent = PaymentIntent(
            id=intent_id,
            booking_id=booking.id,
            user_id=booking.user_id,
            amount=price,
            currency=currency,
            status="requires_payment_method",
            payment_method_types=list(attrs.get("payment_method_types") or ["card"]),
            client_secret=f"{intent_id}_secret_{secrets.token_hex(12)}",
            amount_refunded=0,
            created_at=unit.now,
            updated_at=unit.now,
        )
        unit.session.add(intent)
        booking.payment_intent_id = intent.id
        if booking.payment_status in ("pending", "failed"):
            booking.payment_status = "requires_payment_method"
        booking.updated_at = unit.now
        await unit.session.flush()
        people = await people_of(unit.session, booking)
        unit.emit("payment_intent.created", intent_event(intent), people)
        unit.audit("payment_intent.create", "payment_intent", intent.id, amount=price)
        return intent

    async def _paid(self, unit: Unit, booking_id: str, but: str | None = None) -> bool:
        query = select(PaymentIntent.id).where(
            PaymentIntent.booking_id == booking_id, PaymentIntent.status == "succeeded"
        )
        if but is not None:
            query = query.where(PaymentIntent.id != but)
        return (await unit.session.scalar(query.limit(1))) is not None

    async def get(self, intent_id: str, who: Caller | None = None) -> PaymentIntent:
        async with read(self.domain) as session:
            intent = await session.get(PaymentIntent, intent_id)
            hidden = who is not None and not await may_act(session, who, intent_id)
        if intent is None or hidden:
            raise NotFound(f"No payment intent {intent_id}")
        return intent

    async def confirm(
        self, unit: Unit, intent_id: str, card: Card, who: Caller | None = None
    ) -> Confirmed:
        """Charge the card. A decline is recorded (committed) and reported, not raised.
        With `who`, only the people of the intent may (REST's x-owner checked already)."""
        session = unit.session
        if who is not None and not await may_act(session, who, intent_id):
            raise NotFound(f"No payment intent {intent_id}")
        found = await session.get(PaymentIntent, intent_id)
        booking = await self._booking(unit, found.booking_id) if found is not None else None
        intent = await session.get(PaymentIntent, intent_id, populate_existing=True)
        if intent is None or booking is None:
            raise NotFound(f"No payment intent {intent_id}")
        if intent.status not in CONFIRMABLE or await self._paid(unit, booking.id, intent.id):
            raise ResourceConflict(
                problems=_problem(f"The payment intent is {intent.status}", "status")
            )
        charge = await gateway_of(self.domain).charge(
            card, intent.amount, intent.currency, intent.id
        )
        intent.updated_at = booking.updated_at = unit.now
        if charge.error is None:
            intent.status, intent.last_payment_error = "succeeded", None
            intent.payment_method = charge.method
            booking.payment_status = "succeeded"
        else:
            code, message = charge.error
            intent.status = "requires_payment_method"
            intent.last_payment_error = {"code": code, "message": message}
            booking.payment_status = "failed"
        await session.flush()
        event = "payment.completed" if charge.error is None else "payment.failed"
        people = await people_of(session, booking)
        unit.emit(event, intent_event(intent), people)
        unit.emit("booking.updated", booking_resource(booking), people)  # its payment_status
        unit.audit("payment_intent.confirm", "payment_intent", intent.id, status=intent.status)
        return Confirmed(intent, charge.error)
