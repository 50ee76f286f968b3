"""POST /v1/bookings when the bookings' units are committed together (group commit on
SQLite's writer; on PostgreSQL each its own transaction through `run_sync`): the conflicting
ones get 409s, a refused one its 422, and the database holds exactly the bookings answered
201, each with its outbox event and audit entry."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import select

from handlers.domain.context import domain_of
from handlers.storage.models import AuditEntry, Booking, OutboxEvent
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.test_booking_writer import counts
from tests.handlers.test_bookings import bearer, booking

pytestmark = pytest.mark.anyio
# (slot, how many users ask for it); and one booking of a practitioner that does not exist
ASKED = [("2024-01-05T10:00:00Z", 4), ("2024-01-05T12:00:00Z", 1), ("2024-01-05T14:00:00Z", 3)]


async def test_a_batch_of_bookings_with_conflicts_commits_exactly_the_201s(sandbox: Built) -> None:
    db = domain_of(sandbox.runtime.extras).db
    bodies = [booking(slot) for slot, n in ASKED for _ in range(n)]
    bodies.insert(3, booking(ASKED[0][0], practitioner_id="test_prac_nobody"))
    headers = [bearer(sandbox, f"user_g{i}") for i in range(len(bodies))]
    await domain_of(sandbox.runtime.extras).ready()  # (its first-use setup writes)
    before = await counts(sandbox)
    started, release = threading.Event(), threading.Event()
    held = None
    if db.writer is not None:  # hold the writer so that every booking queues: one batch

        def hold(conn: Any) -> None:
            started.set()
            release.wait(10)

        db.writer.batches = []
        held = asyncio.ensure_future(db.writer.run(hold))
        while not started.is_set():
            await asyncio.sleep(0.001)
    async with client(sandbox.app) as c:
        posts = [
            asyncio.ensure_future(c.post("/v1/bookings", json=body, headers=h))
            for body, h in zip(bodies, headers, strict=True)
        ]
        if db.writer is not None and held is not None:
            for _ in range(5000):
                if db.writer.queued == len(bodies):
                    break
                await asyncio.sleep(0.002)
            assert db.writer.queued == len(bodies)
            release.set()
            await held
        answers = await asyncio.gather(*posts)
    by_slot: dict[str, list[int]] = {}
    for body, r in zip(bodies, answers, strict=True):
        attrs = body["data"]["attributes"]
        if attrs["practitioner_id"] == "test_prac_nobody":
            assert r.status_code == 422, r.text
            continue
        by_slot.setdefault(attrs["scheduled_at"], []).append(r.status_code)
    assert {slot: sorted(codes) for slot, codes in by_slot.items()} == {
        slot: [201] + [409] * (n - 1) for slot, n in ASKED
    }, [r.text for r in answers]
    made = {r.json()["data"]["id"] for r in answers if r.status_code == 201}
    assert await counts(sandbox) == (before[0] + 3, before[1] + 3, before[2] + 3)
    async with db.session() as session:
        stored = set(await session.scalars(select(Booking.id).where(Booking.id.in_(made))))
        events = [e.data["id"] for e in await session.scalars(select(OutboxEvent))]
        audited = set(await session.scalars(select(AuditEntry.resource_id)))
    assert stored == made
    assert made <= set(events) and made <= audited
    if db.writer is not None:
        assert db.writer.batches[:2] == [1, len(bodies)]  # the holding unit, then all of them
