"""A booking on a plan kept from an earlier one (PostgreSQL: one statement, its insert guarded
by what the plan decided, handlers.domain.booking_create) answers exactly as a freshly
planned booking would, whatever changed in between: the practitioner's price, currency,
time zone, whether it takes bookings, the session types it offers, its service's price and
session types. A refused guard writes nothing (no booking, event or audit entry of the
attempt); the unit then runs again, planned afresh. On SQLite, where nothing is kept, the
same holds trivially."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from handlers.domain.bookings import BookingService
from handlers.domain.context import Domain
from handlers.storage.models import (
    AuditEntry,
    Booking,
    OutboxEvent,
    Practitioner,
    PractitionerTag,
    Service,
)
from handlers.storage.models.practitioners import SESSION_TYPE
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.people import T0, ready
from tests.handlers.test_bookings import bearer, booking

pytestmark = pytest.mark.anyio
PID, SID, TYPE = "test_prac_123", "service_test123", "video_call"
HOURS = itertools.count(100)


def _slot() -> str:
    at = T0 + timedelta(days=3, hours=next(HOURS))
    return at.isoformat().replace("+00:00", "Z")


Change = Callable[[Any], Awaitable[Any]]
UNTAGGED = "no_longer_offered"


def _retag(old: str, new: str) -> Any:
    """The practitioner's session type tag `old` renamed `new`."""
    return (
        update(PractitionerTag)
        .where(
            PractitionerTag.practitioner_id == PID,
            PractitionerTag.kind == SESSION_TYPE,
            PractitionerTag.value == old,
        )
        .values(value=new)
    )


# What may change between the booking that kept the plan and the next one.
CHANGES: dict[str, Change] = {
    "nothing": lambda s: s.execute(select(1)),
    "price": lambda s: s.execute(
        update(Practitioner).where(Practitioner.id == PID).values(price_amount=77)
    ),
    "currency": lambda s: s.execute(
        update(Practitioner).where(Practitioner.id == PID).values(price_currency="EUR")
    ),
    "timezone": lambda s: s.execute(
        update(Practitioner).where(Practitioner.id == PID).values(timezone="Asia/Tokyo")
    ),
    "closed": lambda s: s.execute(
        update(Practitioner).where(Practitioner.id == PID).values(accepting_bookings=False)
    ),
    "untagged": lambda s: s.execute(_retag(TYPE, UNTAGGED)),
    "service_price": lambda s: s.execute(
        update(Service).where(Service.id == SID).values(price_amount=33)
    ),
    "service_types": lambda s: s.execute(
        update(Service).where(Service.id == SID).values(session_types=["in_person"])
    ),
}


async def _baseline(domain: Domain, saved: dict[str, Any]) -> None:
    """The practitioner, its service and its session type as they were at the start."""
    async with domain.db.transaction() as s:
        await s.execute(update(Practitioner).where(Practitioner.id == PID).values(saved["p"]))
        await s.execute(update(Service).where(Service.id == SID).values(saved["s"]))
        await s.execute(_retag(UNTAGGED, TYPE))


def _answer(r: Any) -> tuple[Any, ...]:
    """What a booking's answer says that a plan decides."""
    body = r.json()
    if r.status_code != 201:
        e = body["errors"][0]
        return r.status_code, e["code"], e.get("source", {}).get("pointer")
    a = body["data"]["attributes"]
    return r.status_code, a["price"], a.get("timezone"), a["practitioner_id"]


async def _counts(domain: Domain) -> tuple[int, int, int]:
    async with domain.db.session() as s:
        bookings = await s.scalar(select(func.count()).select_from(Booking))
        events = await s.scalar(select(func.count()).where(OutboxEvent.type == "booking.created"))
        audits = await s.scalar(select(func.count()).where(AuditEntry.action == "booking.created"))
    return int(bookings or 0), int(events or 0), int(audits or 0)


_SAVED: dict[int, dict[str, Any]] = {}


async def _saved(domain: Domain) -> dict[str, Any]:
    """The practitioner's and its service's values before any example changed them."""
    found = _SAVED.get(id(domain.db))
    if found is None:
        async with domain.db.session() as s:
            p = await s.get_one(Practitioner, PID)
            sv = await s.get_one(Service, SID)
        found = _SAVED[id(domain.db)] = {
            "p": {
                "price_amount": p.price_amount,
                "price_currency": p.price_currency,
                "timezone": p.timezone,
                "accepting_bookings": p.accepting_bookings,
            },
            "s": {
                "price_amount": sv.price_amount,
                "price_currency": sv.price_currency,
                "session_types": list(sv.session_types),
            },
        }
    return found


@settings(
    max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(change=st.sampled_from(sorted(CHANGES)), with_service=st.booleans(), keyed=st.booleans())
async def test_a_booking_on_a_kept_plan_answers_as_a_fresh_plan_would(
    sandbox: Built, change: str, with_service: bool, keyed: bool
) -> None:
    """`keyed`: with an Idempotency-Key (its claim makes the unit a transaction)."""
    domain = await ready(sandbox)
    service = domain.get(BookingService)
    token = bearer(sandbox, "test_user_123")

    def headers() -> dict[str, str]:  # (a key of its own for each request)
        return {**token, "Idempotency-Key": f"kept-{next(HOURS)}"} if keyed else token

    extra = {"service_id": SID} if with_service else {}
    await _baseline(domain, await _saved(domain))
    service.plans.clear()
    async with client(sandbox.app) as c:
        first = await c.post("/v1/bookings", json=booking(_slot(), **extra), headers=headers())
        assert first.status_code == 201, first.text  # (its plan is kept on PostgreSQL)
        async with domain.db.transaction() as s:
            await CHANGES[change](s)
        before = await _counts(domain)
        kept = await c.post("/v1/bookings", json=booking(_slot(), **extra), headers=headers())
        after = await _counts(domain)
        service.plans.clear()  # (the reference: planned afresh)
        fresh = await c.post("/v1/bookings", json=booking(_slot(), **extra), headers=headers())
    assert _answer(kept) == _answer(fresh), (change, with_service)
    made = 1 if kept.status_code == 201 else 0  # (a refused guard left nothing behind)
    assert after == tuple(n + made for n in before), (change, before, after)


async def test_a_second_booking_of_a_practitioner_keeps_its_plan(sandbox: Built) -> None:
    domain = await ready(sandbox)
    service = domain.get(BookingService)
    async with client(sandbox.app) as c:
        r = await c.post(
            "/v1/bookings", json=booking(_slot()), headers=bearer(sandbox, "test_user_123")
        )
    assert r.status_code == 201, r.text
    kept = (PID, None, TYPE) in service.plans
    assert kept == await service.guarded()  # (PostgreSQL with the exclusion constraint)
