"""Batch reads of payments for GraphQL: one query per kind per request tick."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select

from handlers.domain.context import Domain
from handlers.domain.unit import read
from handlers.storage.models import Booking, PaymentIntent, Refund

Load = Callable[[Domain, list[Any]], Awaitable[Mapping[Any, Any]]]


async def intents(domain: Domain, ids: list[Any]) -> Mapping[Any, Any]:
    async with read(domain) as session:
        rows = await session.scalars(select(PaymentIntent).where(PaymentIntent.id.in_(ids)))
        return {row.id: row for row in rows}


async def refunds(domain: Domain, intent_ids: list[Any]) -> Mapping[Any, Any]:
    """Each intent's refunds, oldest first."""
    found: dict[Any, list[Refund]] = {i: [] for i in intent_ids}
    async with read(domain) as session:
        rows = await session.scalars(
            select(Refund)
            .where(Refund.payment_intent_id.in_(intent_ids))
            .order_by(Refund.created_at, Refund.id)
        )
        for row in rows:
            found[row.payment_intent_id].append(row)
    return found


async def of_bookings(domain: Domain, booking_ids: list[Any]) -> Mapping[Any, Any]:
    """The intent each booking points at (its latest), else its newest intent."""
    async with read(domain) as session:
        links = await session.execute(
            select(Booking.id, Booking.payment_intent_id).where(Booking.id.in_(booking_ids))
        )
        pointed = {booking_id: intent_id for booking_id, intent_id in links}
        rows = await session.scalars(
            select(PaymentIntent)
            .where(PaymentIntent.booking_id.in_(booking_ids))
            .order_by(PaymentIntent.created_at, PaymentIntent.id)
        )
        found: dict[Any, PaymentIntent] = {}
        for row in rows:
            if pointed.get(row.booking_id) in (None, row.id) or row.booking_id not in found:
                found[row.booking_id] = row
        return found


LOADS: dict[str, Load] = {"intent": intents, "refunds": refunds, "of_booking": of_bookings}
