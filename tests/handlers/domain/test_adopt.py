"""The delivery worker's bridge stores bus events not in the outbox yet, checking the events
that arrived together with one read (handlers.domain.adopt); here on the sandbox's SQLite
(the same dialect-neutral statements `kk serve` runs on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from handlers.domain.adopt import adopt_all
from handlers.domain.context import domain_of
from handlers.storage.models import OutboxEvent
from kkapp.factory import Built
from server.events import Event

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
