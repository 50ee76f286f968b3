"""POST /v1/bookings as one write unit in one call (handlers.storage.writer on SQLite,
`run_sync` on PostgreSQL): conflicts under concurrency, Idempotency-Key replays, and a
unit that fails midway leaving nothing behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from handlers.domain.booking_create import INSERT
from handlers.domain.bookings import BookingService
from handlers.domain.caller import Caller
from handlers.domain.context import domain_of
from handlers.domain.unit import SyncUnit, write_once
from handlers.storage.models import AuditEntry, Booking, OutboxEvent
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.test_bookings import bearer, booking

pytestmark = pytest.mark.anyio
SLOT = "2024-01-05T10:00:00Z"


async def counts(built: Built) -> tuple[int, int, int]:
    """Bookings, outbox events and audit entries in the database."""
    db = domain_of(built.runtime.extras).db
    async with db.session() as session:
        return (
            await session.scalar(select(func.count()).select_from(Booking)) or 0,
            await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
            await session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


async def test_concurrent_bookings_of_one_slot_give_one_201_and_the_rest_409(
    sandbox: Built,
) -> None:
    db = domain_of(sandbox.runtime.extras).db
    on_writer: list[str] = []
    if db.writer is not None:  # SQLite: every booking must go through the writer's thread
        event.listen(db.writer.engine, "before_cursor_execute", lambda *a: on_writer.append(a[2]))
    async with client(sandbox.app) as c:
        answers = await asyncio.gather(
            *(
                c.post("/v1/bookings", json=booking(SLOT), headers=bearer(sandbox, f"user_w{i}"))
                for i in range(16)
            )
        )
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * 15, [r.text for r in answers]
    assert {r.json()["errors"][0]["code"] for r in answers if r.status_code == 409} == {
        "BOOKING_CONFLICT"
    }
    if db.writer is not None:
        assert sum(s.startswith("INSERT INTO bookings") for s in on_writer) == 1
        assert sum("FROM practitioners" in s for s in on_writer) == 16


async def test_a_unit_failing_after_its_booking_insert_leaves_no_rows_and_publishes_nothing(
    sandbox: Built,
) -> None:
    domain = await domain_of(sandbox.runtime.extras).ready()
    events = sandbox.runtime.extras["bus"].subscribe(["bookings"])
    before = await counts(sandbox)
    attrs = {
        **booking(SLOT)["data"]["attributes"],
        "scheduled_at": datetime(2024, 1, 5, 10, tzinfo=UTC),
    }
    actor = Caller("test_user_123", frozenset({"test_user_123"}))
    service = domain.get(BookingService)

    def fails_midway(unit: SyncUnit) -> None:
        made = service.book(unit, actor, attrs, False)  # inserted now, its event emitted
        values = {c.name: getattr(made, c.name) for c in Booking.__table__.columns}
        unit.conn.execute(INSERT, values)  # the same key again: IntegrityError

    with pytest.raises(Exception, match="UNIQUE|unique|duplicate"):
        await write_once(domain, fails_midway, actor="test_user_123")
    assert await counts(sandbox) == before
    assert events.queue.empty()  # nothing published for a rolled-back unit
    events.close()
    # ... and the slot is still free
    async with client(sandbox.app) as c:
        r = await c.post("/v1/bookings", json=booking(SLOT), headers=bearer(sandbox, "user_w1"))
    assert r.status_code == 201, r.text


async def test_an_idempotency_key_replays_the_first_booking_and_refuses_another_body(
    sandbox: Built,
) -> None:
    headers = {**bearer(sandbox, "test_user_123"), "Idempotency-Key": "book-once-1"}
    before = await counts(sandbox)
    async with client(sandbox.app) as c:
        first, again = [
            await c.post("/v1/bookings", json=booking(SLOT), headers=headers) for _ in range(2)
        ]
        other = await c.post("/v1/bookings", json=booking("2024-01-05T12:00:00Z"), headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json()["data"] == first.json()["data"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert other.status_code == 409
    assert other.json()["errors"][0]["source"] == {"parameter": "Idempotency-Key"}
    assert (await counts(sandbox))[0] == before[0] + 1


async def test_concurrent_requests_with_one_idempotency_key_book_once_and_replay(
    sandbox: Built,
) -> None:
    headers = {**bearer(sandbox, "test_user_123"), "Idempotency-Key": "book-once-2"}
    before = await counts(sandbox)
    async with client(sandbox.app) as c:
        answers: list[Any] = await asyncio.gather(
            *(c.post("/v1/bookings", json=booking(SLOT), headers=headers) for _ in range(8))
        )
    assert [r.status_code for r in answers] == [201] * 8, [r.text for r in answers]
    assert len({r.json()["data"]["id"] for r in answers}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 7
    assert (await counts(sandbox))[0] == before[0] + 1
