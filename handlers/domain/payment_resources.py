"""Payment intents and refunds as rows and as JSON:API resources: rendering, owners
(`x-owner: resource: payment_intent`), the seed loader of the spec's example intents, and a
user's payment history (`payments_of_user`, for listUserPayments)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.booking_resources import people_of
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.ownership import owns
from handlers.domain.unit import read
from handlers.storage.models import Booking, PaymentIntent, Refund
from handlers.storage.seed import loader

# Minor units per major unit; ISO 4217 currencies without decimals, the rest have two.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF"})
ZERO_DECIMAL |= {"UGX", "VND", "VUV", "XAF", "XOF", "XPF"}


def minor_units(amount: int, currency: str) -> int:
    """A major-unit price (bookings: `75` USD) in minor units (`7500`)."""
    return amount if currency.upper() in ZERO_DECIMAL else amount * 100


def intent_resource(intent: PaymentIntent, *, secret: bool = False) -> dict[str, Any]:
    """A PaymentIntent resource; `client_secret` only for its creator's answer."""
    attributes: dict[str, Any] = {
        "booking_id": intent.booking_id,
        "amount": intent.amount,
        "currency": intent.currency,
        "status": intent.status,
        "payment_method_types": list(intent.payment_method_types),
        "payment_method": intent.payment_method,
        "amount_refunded": intent.amount_refunded,
        "last_payment_error": intent.last_payment_error,
        "created_at": iso(intent.created_at),
        "updated_at": iso(intent.updated_at),
    }
    if secret:
        attributes["client_secret"] = intent.client_secret
    return {
        "id": intent.id,
        "type": "payment_intent",
        "attributes": attributes,
        "relationships": {"booking": ref("booking", intent.booking_id)},
    }


def intent_event(intent: PaymentIntent) -> dict[str, Any]:
    """The `data` of a payment.* event (the webhooks' PaymentEvent, with the payer)."""
    data = intent_resource(intent)
    data["attributes"]["user_id"] = intent.user_id
    return data


def refund_resource(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "type": "refund",
        "attributes": {
            "payment_intent_id": refund.payment_intent_id,
            "amount": refund.amount,
            "currency": refund.currency,
            "status": refund.status,
            "reason": refund.reason,
            "created_at": iso(refund.created_at),
        },
        "relationships": {"payment_intent": ref("payment_intent", refund.payment_intent_id)},
    }


@owns("payment_intent")
async def intent_owners(session: AsyncSession, intent_id: str) -> frozenset[str] | None:
    intent = await session.get(PaymentIntent, intent_id)
    if intent is None:
        return None
    booking = await session.get(Booking, intent.booking_id)
    people = await people_of(session, booking) if booking is not None else frozenset()
    return people | {intent.user_id}


async def may_act(session: AsyncSession, who: Caller, intent_id: str) -> bool:
    """Whether `who` may see and act on the intent (as `x-owner` decides for REST)."""
    owners = await intent_owners(session, intent_id)
    return owners is not None and (who.admin or bool(owners & who.ids))


async def allowed(domain: Domain, who: Caller, intent_id: str) -> bool:
    async with read(domain) as session:
        return await may_act(session, who, intent_id)


async def payments_of_user(
    session: AsyncSession, user_id: str, *, limit: int = 20, offset: int = 0
) -> tuple[Sequence[PaymentIntent], int]:
    """A page of the intents `user_id` pays, newest first, and their total count."""
    where = PaymentIntent.user_id == user_id
    total = await session.scalar(select(func.count()).select_from(PaymentIntent).where(where))
    rows = await session.scalars(
        select(PaymentIntent)
        .where(where)
        .order_by(PaymentIntent.created_at.desc(), PaymentIntent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


@loader("payment_intent", order=30)
async def load_intent(
    session: AsyncSession, record: Mapping[str, Any], _: Mapping[str, Any]
) -> bool:
    """An example intent, on a booking that was seeded (skipped otherwise)."""
    a = record.get("attributes") or {}
    if await session.get(PaymentIntent, record["id"]) is not None:
        return False
    booking = await session.get(Booking, a.get("booking_id") or "")
    if booking is None:
        return False
    stamps = {k: parse_time(a[k]) for k in ("created_at", "updated_at") if a.get(k)}
    session.add(
        PaymentIntent(
            id=record["id"],
            booking_id=booking.id,
            user_id=a.get("user_id") or booking.user_id,
            amount=int(a["amount"]),
            currency=a["currency"],
            status=a.get("status", "requires_payment_method"),
            payment_method_types=list(a.get("payment_method_types") or ["card"]),
            payment_method=a.get("payment_method"),
            client_secret=a.get("client_secret") or f"{record['id']}_secret_seeded",
            amount_refunded=int(a.get("amount_refunded") or 0),
            last_payment_error=a.get("last_payment_error"),
            **stamps,
        )
    )
    if booking.payment_intent_id is None:
        booking.payment_intent_id = record["id"]
    await session.flush()
    return True
