"""Tokens of the three roles a booking knows, rows put straight into the database, and
reads of what a request wrote (bookings, outbox events)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from handlers.domain.context import Domain, domain_of
from handlers.storage.ids import new_id
from handlers.storage.models import Booking, OutboxEvent, PaymentIntent, Refund
from handlers.storage.models.bookings import RELEASED
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.handlers.people import booking_row

PATIENT, PRACTITIONER = "test_user_123", "test_prac_123"
SCOPES = ["read:bookings", "write:bookings", "read:profile", "write:profile"]
# The sandbox fixture's clock.
NOW = datetime(2024, 1, 1, tzinfo=UTC)
# Per database (each test's sandbox has its own): the next slot `booking` tries.
_STEPS: dict[str, Iterator[int]] = {}


def token(built: Built, role: str) -> dict[str, str]:
    """A bearer header of the booking's patient, its practitioner, or an administrator."""
    issue = auth_of(built.runtime.extras).issue_token
    if role == "patient":
        value = issue(PATIENT, SCOPES)
    elif role == "practitioner":
        value = issue(PRACTITIONER, SCOPES, practitioner_id=PRACTITIONER)
    else:
        value = issue("user_admin1", [*SCOPES, "admin:users"], user_type="admin")
    return {"Authorization": f"Bearer {value}"}


def client(built: Built) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=built.app), base_url="http://t")


async def domain(built: Built) -> Domain:
    return await domain_of(built.runtime.extras).ready()


async def booking(built: Built, status: str = "pending", hours_ahead: float = 72) -> str:
    """A booking of the test patient with the test practitioner, in `status`; its id. It
    starts `hours_ahead` from the clock, or at the first hour-long slot after that which no
    active booking of the practitioner overlaps (PostgreSQL's exclusion constraint holds
    for stored rows too; on SQLite the unique index on active (practitioner, start))."""
    d = await domain(built)
    steps = _STEPS.setdefault(d.db.url, itertools.count())
    for step in steps:
        bid = new_id("booking")
        when = NOW + timedelta(hours=hours_ahead, minutes=61 * step)
        try:
            async with d.db.transaction() as session:
                session.add(
                    booking_row(
                        *(bid, PATIENT, PRACTITIONER, when, status),
                        price_amount=80,
                        payment_status="pending",
                        cancellation_policy={"free_until_hours": 24, "late_fee_percent": 50},
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            if status in RELEASED:  # (a released booking holds no slot: the next may start here)
                _STEPS[d.db.url] = itertools.count(step)
            return bid
        except IntegrityError:  # a seeded booking, or an earlier one, holds the slot
            continue
    raise AssertionError("unreachable: the steps never end")


async def row(built: Built, booking_id: str) -> Booking:
    async with (await domain(built)).db.session() as session:
        return await session.get_one(Booking, booking_id)


async def event_count(built: Built) -> int:
    async with (await domain(built)).db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def refunds_of(built: Built, intent_id: str) -> list[Refund]:
    async with (await domain(built)).db.session() as session:
        found = await session.scalars(select(Refund).where(Refund.payment_intent_id == intent_id))
        return list(found)


async def intent(built: Built, intent_id: str) -> PaymentIntent:
    async with (await domain(built)).db.session() as session:
        return await session.get_one(PaymentIntent, intent_id)


async def paid(built: Built, c: httpx.AsyncClient, booking_id: str) -> str:
    """Pay the booking (USD 80.00) with the success test card as its patient; the intent id."""
    body = {"data": {"type": "payment_intent", "attributes": {}}}
    body["data"]["attributes"] = {"booking_id": booking_id, "amount": 8000, "currency": "USD"}
    made = await c.post("/v1/payments/intents", json=body, headers=token(built, "patient"))
    assert made.status_code == 201, made.text
    intent_id: str = made.json()["data"]["id"]
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    pay: dict[str, Any] = {"data": {"type": "payment_intent", "attributes": {}}}
    pay["data"]["attributes"]["payment_method"] = {"type": "card", "card": card}
    done = await c.post(
        f"/v1/payments/intents/{intent_id}/confirm", json=pay, headers=token(built, "patient")
    )
    assert done.status_code == 200, done.text
    return intent_id
