"""Bus events into the outbox, checked a batch at a time (the delivery worker's bridge).

Profiled on `kk serve` with two workers under wrk -c32 POSTs (bench/RESULTS.md, "Serve POST
on PostgreSQL"), each worker's bridge looked up, in a read transaction of its own (a pool
checkout with its pre-ping, `BEGIN`, the `SELECT`, the rollback), every booking event the
other worker published: 12-16 % of a worker's samples. Events that arrive while a check is
running are checked together, in one `SELECT`; only those not in the outbox yet (the mock
engine's) are adopted, one transaction each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.domain.context import Domain
from handlers.domain.jsonapi import parse_time
from handlers.storage.models import OutboxEvent
from server.events import Event


async def adopt_all(domain: Domain, events: Sequence[Event]) -> bool:
    """Whether any of the events was new to the outbox (one read for all of them first:
    most are there already)."""
    async with domain.db.session() as session:
        ids = [e.id for e in events]
        stored = set(await session.scalars(select(OutboxEvent.id).where(OutboxEvent.id.in_(ids))))
    new = False
    for event in events:
        if event.id not in stored:
            new = await adopt(domain, event) or new
    return new


async def adopt(domain: Domain, event: Event) -> bool:
    """Whether the event was new to the outbox (stored now, not by another worker first)."""
    try:
        async with domain.db.transaction() as session:
            if await session.get(OutboxEvent, event.id) is not None:
                return False
            session.add(
                OutboxEvent(
                    id=event.id,
                    type=event.type,
                    channel=event.channel,
                    data=dict(event.data),
                    audience=list(event.audience),
                    created_at=parse_time(event.created_at),
                    published_at=datetime.now(UTC),
                )
            )
    except IntegrityError:  # another worker adopted it first
        return False
    return True
