"""Helpers of the users' and health records' tests: tokens, a client, rows put straight
into the sandbox's database (the other areas' tables, which these operations only read)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from handlers.domain.context import Domain, domain_of
from handlers.storage.models import (
    AuditEntry,
    Base,
    Booking,
    PaymentIntent,
    Practitioner,
    User,
)
from kkapp.factory import Built
from server.auth.services import auth_of

USER = "test_user_123"
PRACTITIONER = "test_prac_123"
EVERYTHING = [
    "read:profile",
    "write:profile",
    "read:bookings",
    "read:messages",
    "read:health_records",
    "write:health_records",
]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def bearer(
    built: Built, subject: str = USER, scopes: list[str] | None = None, **claims: Any
) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, scopes or EVERYTHING, **claims)
    return {"Authorization": f"Bearer {token}"}


def practitioner_bearer(built: Built, scopes: list[str] | None = None) -> dict[str, str]:
    return bearer(
        built,
        PRACTITIONER,
        scopes or ["read:health_records"],
        user_type="practitioner",
        practitioner_id=PRACTITIONER,
    )


def admin_bearer(built: Built) -> dict[str, str]:
    return bearer(built, "user_admin1", [*EVERYTHING, "admin:users"], user_type="admin")


def client(built: Built) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=built.app), base_url="http://t")


async def ready(built: Built) -> Domain:
    return await domain_of(built.runtime.extras).ready()


async def add(built: Built, *rows: Base) -> None:
    domain = await ready(built)
    async with domain.db.transaction() as session:
        for row in rows:
            session.add(row)
            await session.flush()


def user_row(user_id: str, email: str | None = None) -> User:
    return User(id=user_id, email=email or f"{user_id}@example.com", first_name="A", last_name="B")


def practitioner_row(prac_id: str, user_id: str | None = None) -> Practitioner:
    return Practitioner(id=prac_id, user_id=user_id, first_name="P", last_name="Q", price_amount=50)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


async def audits(built: Built, action: str) -> list[AuditEntry]:
    domain = await ready(built)
    async with domain.db.session() as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(found)


def booking_row(
    booking_id: str,
    user_id: str,
    prac_id: str,
    when: datetime,
    status: str = "confirmed",
    **fields: Any,
) -> Booking:
    """An hour-long video booking at `when` (`fields` override the other columns)."""
    return Booking(
        **{
            "id": booking_id,
            "user_id": user_id,
            "practitioner_id": prac_id,
            "scheduled_at": when,
            "ends_at": when + timedelta(hours=1),
            "duration": 60,
            "status": status,
            "session_type": "video_call",
            "price_amount": 5000,
            "price_currency": "USD",
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def payment_row(intent_id: str, user_id: str, booking_id: str, when: datetime) -> PaymentIntent:
    return PaymentIntent(
        id=intent_id,
        booking_id=booking_id,
        user_id=user_id,
        amount=5000,
        currency="USD",
        status="succeeded",
        payment_method_types=["card"],
        client_secret="pi_secret_x",
        created_at=when,
        updated_at=when,
    )


async def closing(built: Built) -> AsyncIterator[Built]:
    """Yield the app, then close its database (in-process apps skip the lifespan)."""
    try:
        yield built
    finally:
        await domain_of(built.runtime.extras).db.close()
