"""Bookings as JSON:API resources, their owners (`x-owner: resource: booking`) and the seed
loader of the spec's example bookings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.cancellation_policy import refund_if_cancelled_now, shown_policy
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.ownership import owns
from handlers.storage.models import Booking, Practitioner, Service
from handlers.storage.seed import loader


def _money(amount: int | None, currency: str) -> dict[str, Any]:
    return {"amount": amount or 0, "currency": currency}


def booking_resource(b: Booking | Row[Any], now: datetime | None = None) -> dict[str, Any]:
    """A booking (a model instance or a Core row of its table) as a JSON:API resource; with
    `now`, also what cancelling it now would give back (answers, not webhook events)."""
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
        "cancellation_policy": shown_policy(b.cancellation_policy),
        "cancellation": cancellation,
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }
    relationships = {
        "practitioner": ref("practitioner", b.practitioner_id),
        "user": ref("user", b.user_id),
    }
    if now is not None:
        back = refund_if_cancelled_now(b, now)
        attributes["refund_if_cancelled_now"] = (
            None if back is None else _money(back, b.price_currency)
        )
    if b.service_id:
        attributes["service_id"] = b.service_id  # (no relationship: not a ResourceType)
    if b.payment_intent_id:
        relationships["payment_intent"] = ref("payment_intent", b.payment_intent_id)
    return {"id": b.id, "type": "booking", "attributes": attributes, "relationships": relationships}


async def people_of(session: AsyncSession, booking: Booking) -> frozenset[str]:
    """Who a booking concerns: its user, its practitioner and the practitioner's account."""
    p = await session.get(Practitioner, booking.practitioner_id)
    linked = {p.user_id} if p is not None and p.user_id else set()
    return frozenset({booking.user_id, booking.practitioner_id, *linked})


@owns("booking")
async def booking_owners(session: AsyncSession, booking_id: str) -> frozenset[str] | None:
    b = await session.get(Booking, booking_id)
    return await people_of(session, b) if b is not None else None


def _related(record: Mapping[str, Any], name: str) -> str | None:
    data = ((record.get("relationships") or {}).get(name) or {}).get("data") or {}
    found = data.get("id")
    return str(found) if found else None


@loader("booking", order=20)
async def load_booking(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    a = record.get("attributes") or {}
    pid = a.get("practitioner_id") or _related(record, "practitioner")
    user = a.get("user_id") or _related(record, "user") or parents.get("user_id")
    if await session.get(Booking, record["id"]) is not None or not pid or not user:
        return False
    if await session.get(Practitioner, pid) is None:
        return False
    service = a.get("service_id") or _related(record, "service")
    if service and await session.get(Service, service) is None:
        service = None
    start = parse_time(a["scheduled_at"])
    price = a.get("price") or {"amount": 0, "currency": "USD"}
    stamps = {k: parse_time(a[k]) for k in ("created_at", "updated_at") if a.get(k)}
    session.add(
        Booking(
            id=record["id"],
            user_id=user,
            practitioner_id=pid,
            service_id=service,
            scheduled_at=start,
            ends_at=start + timedelta(minutes=int(a["duration"])),
            duration=int(a["duration"]),
            status=a.get("status", "pending"),
            session_type=a.get("session_type", "video_call"),
            notes=a.get("notes"),
            location=a.get("location"),
            price_amount=int(price["amount"]),
            price_currency=price["currency"],
            payment_status=a.get("payment_status", "pending"),
            cancellation_policy=dict(a.get("cancellation_policy") or {}),
            **stamps,
        )
    )
    await session.flush()
    return True
