"""The write path of POST /v1/bookings: a bounded number of statements per booking, and a
burst of concurrent bookings of one practitioner all answered within a bound (they queue on
the practitioner's row lock, each holding a pooled connection: the pool must not starve)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from asyncpg.transaction import Transaction
from sqlalchemy import event, select

from handlers.domain.delivery import worker_for
from handlers.storage.models import OutboxEvent
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.people import T0, ready
from tests.handlers.test_bookings import bearer, booking
from tests.handlers.test_users_graphql import statements

pytestmark = pytest.mark.anyio
BURST = 32  # wrk -c32 of bench/run.py, the pool's size (8 + 24 overflow) per engine
BOUND_S = 20.0  # generous on a loaded 2-core machine; the stalled path never answered


def at(hour: int) -> str:
    return (T0 + timedelta(days=2, hours=hour)).isoformat().replace("+00:00", "Z")


async def test_a_burst_of_concurrent_bookings_of_one_practitioner_all_get_an_answer(
    sandbox: Built,
) -> None:
    await ready(sandbox)
    headers = bearer(sandbox, "test_user_123")
    async with client(sandbox.app) as c:
        started = time.monotonic()
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    c.post("/v1/bookings", json=booking(at(i)), headers=headers)
                    for i in range(BURST)
                )
            ),
            BOUND_S,
        )
        took = time.monotonic() - started
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {201, 409}, [r.text for r in answers if r.status_code not in (201, 409)]
    assert codes.count(201) == BURST  # distinct slots: every one is booked
    assert took < BOUND_S


async def test_a_booking_takes_a_fixed_few_statements(
    sandbox: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = await ready(sandbox)
    begun = [0]  # transactions asyncpg began (a BEGIN round trip each)
    start = Transaction.start

    def counted(self: Any) -> Any:
        begun[0] += 1
        return start(self)

    monkeypatch.setattr(Transaction, "start", counted)
    # The app's webhook worker, not running: its round (the published mark) is driven below.
    worker = worker_for(domain, sandbox.runtime.table, sandbox.runtime.extras)
    domain.published = worker.marks
    headers = bearer(sandbox, "test_user_123")
    async with client(sandbox.app) as c:
        await c.post("/v1/bookings", json=booking(at(0)), headers=headers)  # warm: plans
        begun[0] = 0
        with statements(sandbox, domain) as seen:
            r = await c.post("/v1/bookings", json=booking(at(3)), headers=headers)
        transactions = begun[0]
    assert r.status_code == 201, r.text
    # (BEGIN IMMEDIATE on SQLite; the practitioner's advisory lock on PostgreSQL) the
    # practitioner, service, session types and overlap in one statement; the booking, outbox
    # and audit inserts; (the generation bump on PostgreSQL without Redis). 9 before (the
    # practitioner row locked, its tags, the overlap check as statements of their own, and a
    # second transaction for the outbox's published mark).
    if domain.db.dialect == "postgresql":
        # Each statement is a round trip on PostgreSQL. The exclusion constraint refuses an
        # overlap, so no lock and no transaction; the plan is the one the first booking
        # kept: the booking, outbox and audit rows in one statement (atomic on its own),
        # guarded by what the plan decided; (the generation's sequence without Redis).
        # Before: 6 statements, BEGIN and COMMIT, and the pool's ping (3 round trips); then
        # the plan and that one.
        assert len(seen) <= 2, seen
        assert not any(s.lstrip().upper().startswith("SELECT PRACTITIONERS") for s in seen)
        writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
        assert len(writes) == 1, seen
        assert all(f"INSERT INTO {t}" in writes[0] for t in ("bookings", "outbox", "audit")), seen
        assert not any("pg_advisory" in s for s in seen), seen
        # Only the answer generation's own (its sequence: no Redis here); before, 3 (the
        # booking's, the pool ping's and that one).
        assert transactions == 1
    assert len(seen) <= 6, seen
    # (counted on whichever connection ran them: SQLite's writer thread has its own engine)
    assert sum("INSERT INTO BOOKINGS" in s.upper() for s in seen) == 1, seen
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in seen), seen
    async with domain.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.data["id"].as_string() == r.json()["data"]["id"])
        )
    assert event is not None and event.published_at is None  # not yet: the worker marks it
    with statements(sandbox, domain) as round_:
        await worker.run_once()
    async with domain.db.session() as session:
        marked = await session.get_one(OutboxEvent, event.id, populate_existing=True)
    assert marked.published_at is not None and marked.dispatched_at is not None
    # one write transaction marks every event published since the last round, and plans
    assert sum(s.lstrip().upper().startswith("UPDATE OUTBOX_EVENTS") for s in round_) == 2


async def test_the_webhook_round_writes_on_the_bookings_writer_when_there_is_one(
    sandbox: Built,
) -> None:
    domain = await ready(sandbox)
    worker = worker_for(domain, sandbox.runtime.table, sandbox.runtime.extras)
    domain.published = worker.marks
    async with client(sandbox.app) as c:
        r = await c.post(
            "/v1/bookings", json=booking(at(5)), headers=bearer(sandbox, "test_user_123")
        )
    assert r.status_code == 201, r.text
    on_writer: list[str] = []
    if domain.db.writer is not None:  # SQLite: one writer, no second one holding the lock
        event.listen(
            domain.db.writer.engine, "before_cursor_execute", lambda *a: on_writer.append(a[2])
        )
    with statements(sandbox, domain) as round_:
        await worker.run_once()
    updates = [s for s in round_ if s.lstrip().upper().startswith("UPDATE OUTBOX_EVENTS")]
    assert len(updates) == 2  # the published marks and the dispatched mark, one each
    if domain.db.writer is not None:
        assert [s for s in on_writer if s in updates] == updates
