"""The delivery worker's bridge stores bus events not in the outbox yet, checking the events
that arrived together with one read (handlers.domain.adopt); here on the sandbox's SQLite
(the same dialect-neutral statements `kk serve` runs on PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from handlers.domain.adopt import adopt_all
from handlers.domain.context import domain_of
from handlers.domain.delivery import worker_for
from handlers.storage.models import OutboxEvent
from kkapp.factory import Built
from server.events import Event, MemoryBus

pytestmark = pytest.mark.anyio


def made(n: int) -> Event:
    return Event("booking.created", "bookings", {"id": f"b{n}"}, ("user_1",))


async def test_events_are_checked_together_and_only_new_ones_stored(sandbox: Built) -> None:
    domain = domain_of(sandbox.runtime.extras)
    await domain.ready()
    first, second, third = made(1), made(2), made(3)
    assert await adopt_all(domain, [first, second]) is True
    selects: list[str] = []

    @sa_event.listens_for(domain.db.read_engine.sync_engine, "before_cursor_execute")
    def seen(_c: object, _k: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "outbox" in statement:
            selects.append(statement)

    assert await adopt_all(domain, [first, second]) is False  # (both stored already)
    assert len(selects) == 1  # one read for the batch, nothing written
    assert await adopt_all(domain, [first, third, second]) is True
    ids = [first.id, second.id, third.id]
    async with domain.db.session() as session:
        count = select(func.count()).where(OutboxEvent.id.in_(ids))
        assert await session.scalar(count) == 3


async def test_the_bridge_looks_up_only_events_not_stored_by_a_handler(sandbox: Built) -> None:
    """A handler's event (`stored`: committed with its outbox row, by this worker or another)
    is neither looked up nor adopted by the bridge; another's (the mock engine's) is."""
    domain = domain_of(sandbox.runtime.extras)
    await domain.ready()
    worker = worker_for(domain, sandbox.runtime.table, sandbox.runtime.extras)
    assert isinstance(domain.bus, MemoryBus)
    before = len(domain.bus._subscriptions)
    worker.start()  # (its dispatch loop and its bus bridge)
    try:
        while len(domain.bus._subscriptions) == before:  # (the bridge subscribed)
            await asyncio.sleep(0.001)
        looked_up: list[object] = []

        @sa_event.listens_for(domain.db.read_engine.sync_engine, "before_cursor_execute")
        def seen(_c: object, _k: object, statement: str, parameters: object, *a: object) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "outbox_events.id IN" in (
                statement
            ):
                looked_up.append(parameters)

        stored = Event("booking.created", "bookings", {"id": "b_s"}, ("user_1",), stored=True)
        loose = made(9)
        await domain.bus.publish(stored)
        await domain.bus.publish(loose)
        found: set[str] = set()
        for _ in range(200):  # (the bridge adopts the loose one in the background)
            async with domain.db.session() as session:
                for e in (stored, loose):  # (`=`, not the bridge's `IN`)
                    if await session.get(OutboxEvent, e.id) is not None:
                        found.add(e.id)
            if loose.id in found:
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()
    assert found == {loose.id}
    assert looked_up == [(loose.id,)]  # (the stored one never looked up)
