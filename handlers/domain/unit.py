"""A unit of work: one transaction, the events it produces and its audit entries.

    async with write(domain, actor="user_1", request_id=rid) as unit:
        unit.session.add(booking)
        unit.emit("booking.created", document_data, audience={"user_1", "prac_1"})
        unit.audit("booking.create", "booking", booking.id)

Each event is written to `outbox_events` in the same transaction, and published on the
app's bus only after the commit (never for a rolled-back change).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.storage.models import AuditEntry, OutboxEvent
from server import tracing
from server.events import Event

log = logging.getLogger("kk.handlers")


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

    def emit(self, event_type: str, data: dict[str, Any], audience: Iterable[str] = ()) -> Event:
        """Record an event in the outbox; it is published once the transaction commits."""
        event = Event(event_type, channel_of(event_type), data, tuple(sorted(set(audience))))
        self.session.add(
            OutboxEvent(
                id=event.id,
                type=event.type,
                channel=event.channel,
                data=data,
                audience=list(event.audience),
                created_at=self.now,
            )
        )
        self.events.append(event)
        tracing.remember(event.id)  # its webhook deliveries join this request's trace
        return event

    def audit(self, action: str, resource_type: str, resource_id: str, **details: Any) -> None:
        self.session.add(
            AuditEntry(
                at=self.now,
                actor=self.actor,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                request_id=self.request_id,
                details=details,
            )
        )


async def publish(domain: Domain, events: list[Event]) -> None:
    """Put committed events on the bus and mark them published (best effort: a bus failure
    is logged, the outbox row stays unpublished for a relay to retry)."""
    if not events or domain.bus is None:
        return
    sent: list[str] = []
    for event in events:
        try:
            await domain.bus.publish(event)
            sent.append(event.id)
        except Exception:  # the change is committed; the outbox keeps the event
            log.exception("could not publish %s %s", event.type, event.id)
    if sent:
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
    await publish(domain, unit.events)


@asynccontextmanager
async def read(domain: Domain) -> AsyncIterator[AsyncSession]:
    """A read-only session of a ready domain."""
    await domain.ready()
    async with domain.db.session() as session:
        yield session
