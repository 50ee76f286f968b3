from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.domain.context import Domain
from handlers.domain.unit import write
from handlers.storage.database import Database
from handlers.storage.models import AuditEntry, OutboxEvent, Practitioner
from server.events import MemoryBus

pytestmark = pytest.mark.anyio


def domain_on(db: Database) -> tuple[Domain, MemoryBus]:
    bus = MemoryBus()
    return Domain(db=db, bus=bus), bus


async def test_an_event_is_in_the_outbox_and_on_the_bus_after_commit(database: Database) -> None:
    domain, bus = domain_on(database)
    sub = bus.subscribe(["bookings"])
    async with write(domain, actor="user_1", request_id="req_1") as unit:
        event = unit.emit("booking.created", {"id": "booking_1"}, audience={"user_1", "prac_1"})
        unit.audit("booking.create", "booking", "booking_1", status="pending")
        assert sub.queue.empty()  # not before the commit
    got = sub.queue.get_nowait()
    assert got is not None and got.id == event.id and got.audience == ("prac_1", "user_1")
    async with database.session() as session:
        row = await session.get_one(OutboxEvent, event.id)
        audit = (await session.scalars(select(AuditEntry))).one()
    assert (row.type, row.channel, row.data) == ("booking.created", "bookings", {"id": "booking_1"})
    assert row.published_at is not None and row.dispatched_at is None
    assert (audit.actor, audit.request_id, audit.details) == (
        "user_1",
        "req_1",
        {"status": "pending"},
    )


async def test_a_rolled_back_unit_publishes_nothing_and_keeps_nothing(database: Database) -> None:
    domain, bus = domain_on(database)
    sub = bus.subscribe()
    with pytest.raises(ValueError):
        async with write(domain) as unit:
            unit.session.add(
                Practitioner(id="prac_1", first_name="A", last_name="B", price_amount=1)
            )
            unit.emit("practitioner.updated", {"id": "prac_1"})
            raise ValueError("invalid")
    assert sub.queue.empty()
    async with database.session() as session:
        assert (await session.scalars(select(OutboxEvent))).all() == []
        assert await session.get(Practitioner, "prac_1") is None
