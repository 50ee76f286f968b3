"""A unit of work: one transaction, the events it produces and its audit entries.

    async with write(domain, actor="user_1", request_id=rid) as unit:
        unit.session.add(booking)
        unit.emit("booking.created", document_data, audience={"user_1", "prac_1"})
        unit.audit("booking.create", "booking", booking.id)

Each event is written to `outbox_events` in the same transaction, and published on the
app's bus only after the commit (never for a rolled-back change). The unit's outbox and
audit rows are Core inserts, one statement per table (executemany), run when the block
ends. The outbox's published mark is set by the app's webhook worker in its next round
(`Domain.published`, one statement for a batch of events); without a worker, here, in a
transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.storage.models import AuditEntry, OutboxEvent
from server import tracing
from server.events import Event

log = logging.getLogger("kk.handlers")
_OUTBOX = insert(cast(Table, OutboxEvent.__table__)).inline()  # (no RETURNING of keys)
_AUDIT = insert(cast(Table, AuditEntry.__table__)).inline()


def channel_of(event_type: str) -> str:
    """`booking.created` -> `bookings` (the channel /ws and GraphQL subscriptions listen to)."""
    return event_type.split(".", 1)[0] + "s"


class Unit:
    def __init__(
        self, domain: Domain, session: AsyncSession, actor: str | None, request_id: str | None
    ) -> None:
        self.domain = domain
        self.session = session
        self.actor = actor
        self.request_id = request_id
        self.now: datetime = domain.clock()
        self.events: list[Event] = []
        self._outbox: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []

    def emit(self, event_type: str, data: dict[str, Any], audience: Iterable[str] = ()) -> Event:
        """Record an event in the outbox; it is published once the transaction commits."""
        event = Event(event_type, channel_of(event_type), data, tuple(sorted(set(audience))))
        self._outbox.append(
            {
                "id": event.id,
                "type": event.type,
                "channel": event.channel,
                "data": data,
                "audience": list(event.audience),
                "created_at": self.now,
                "published_at": None,
                "dispatched_at": None,
            }
        )
        self.events.append(event)
        tracing.remember(event.id)  # its webhook deliveries join this request's trace
        return event

    def audit(self, action: str, resource_type: str, resource_id: str, **details: Any) -> None:
        self._audits.append(
            {
                "at": self.now,
                "actor": self.actor,
                "action": action,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "request_id": self.request_id,
                "details": details,
            }
        )

    async def write_records(self) -> None:
        """The unit's outbox and audit rows (at the end of its transaction)."""
        if self._outbox:
            await self.session.execute(_OUTBOX, self._outbox)
            self._outbox = []
        if self._audits:
            await self.session.execute(_AUDIT, self._audits)
            self._audits = []


async def publish(domain: Domain, events: list[Event]) -> None:
    """Put committed events on the bus and mark them published (best effort: a bus failure
    is logged, the outbox row stays unpublished for a relay to retry)."""
    if not events or domain.bus is None:
        return
    marks = domain.published
    sent: list[str] = []
    for event in events:
        if marks is not None:
            marks.stored(event.id)  # (before its bus copy can reach the worker's bridge)
        try:
            await domain.bus.publish(event)
            sent.append(event.id)
        except Exception:  # the change is committed; the outbox keeps the event
            log.exception("could not publish %s %s", event.type, event.id)
            if marks is not None:
                marks.lost(event.id)
    if sent and marks is not None:
        marks.sent(sent)  # marked in the worker's next round, with the others of the batch
    elif sent:
        # (no answer shows published_at: no generation bump for it, see Database.transaction)
        async with domain.db.transaction(changes_answers=False) as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(sent))
                .values(published_at=domain.clock())
            )


@asynccontextmanager
async def write(
    domain: Domain, *, actor: str | None = None, request_id: str | None = None
) -> AsyncIterator[Unit]:
    """One write transaction (rolled back on any exception); events published after commit."""
    await domain.ready()
    async with domain.db.transaction() as session:
        unit = Unit(domain, session, actor, request_id)
        yield unit
        await unit.write_records()
    await publish(domain, unit.events)


@asynccontextmanager
async def read(domain: Domain) -> AsyncIterator[AsyncSession]:
    """A read-only session of a ready domain."""
    await domain.ready()
    async with domain.db.session() as session:
        yield session
