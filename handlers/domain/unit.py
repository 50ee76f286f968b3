"""A unit of work: one transaction, the events it produces and its audit entries.

    async with write(domain, actor="user_1", request_id=rid) as unit:
        unit.session.add(booking)
        unit.emit("booking.created", document_data, audience={"user_1", "prac_1"})
        unit.audit("booking.create", "booking", booking.id)

Each event is written to `outbox_events` in the same transaction, and published on the
app's bus only after the commit (never for a rolled-back change). The unit's outbox and
audit rows are Core inserts, one statement per table (executemany; on PostgreSQL both in
one statement, a round trip saved), run when the block ends. The outbox's published mark
is set by the app's webhook worker in its next round (`Domain.published`, one statement for
a batch of events); without a worker, here, in a transaction of its own.

    booking = await write_once(domain, lambda unit: book(unit.conn, ...), actor="user_1")

`write_once` runs a unit written as one synchronous function on a Core connection: on SQLite
the whole unit is one hop to the database's writer thread (handlers.storage.writer), no
per-statement hand-offs; on PostgreSQL the same function runs through `run_sync`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Insert, Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.storage.coalesced import Coalesced
from handlers.storage.generation import RedisGeneration
from handlers.storage.models import AuditEntry, OutboxEvent
from handlers.storage.plain import Plain
from handlers.storage.together import Guard, together
from server import tracing
from server.events import Event, RedisBus

log = logging.getLogger("kk.handlers")
T = TypeVar("T")
_OUTBOX = insert(cast(Table, OutboxEvent.__table__)).inline()  # (no RETURNING of keys)
_AUDIT = insert(cast(Table, AuditEntry.__table__)).inline()
_OUTBOX_KEYS = (
    *("id", "type", "channel", "data", "audience", "created_at", "published_at"),
    "dispatched_at",
)
_AUDIT_KEYS = ("at", "actor", "action", "resource_type", "resource_id", "request_id", "details")
# (SQLite's writer: plain DB-API executemany, handlers.storage.plain)
_PLAIN = {_OUTBOX: Plain(_OUTBOX, keys=_OUTBOX_KEYS), _AUDIT: Plain(_AUDIT, keys=_AUDIT_KEYS)}


def channel_of(event_type: str) -> str:
    """`booking.created` -> `bookings` (the channel /ws and GraphQL subscriptions listen to)."""
    return event_type.split(".", 1)[0] + "s"


class Records:
    """A unit's events and audit entries, written with its other changes."""

    def __init__(self, domain: Domain, actor: str | None, request_id: str | None) -> None:
        self.domain = domain
        self.actor = actor
        self.request_id = request_id
        self.now: datetime = domain.clock()
        self.events: list[Event] = []
        self._first: list[tuple[Insert, list[dict[str, Any]]]] = []  # (SyncUnit.insert)
        self._outbox: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []

    def emit(self, event_type: str, data: dict[str, Any], audience: Iterable[str] = ()) -> Event:
        """Record an event in the outbox; it is published once the transaction commits."""
        audience = tuple(sorted(set(audience)))
        event = Event(event_type, channel_of(event_type), data, audience, stored=True)
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

    def _rows(self) -> list[tuple[Insert, list[dict[str, Any]]]]:
        """The statements that write the unit's rows (once): its own, outbox, audit."""
        rows = [(s, r) for s, r in ((_OUTBOX, self._outbox), (_AUDIT, self._audits)) if r]
        rows = self._first + rows
        self._first, self._outbox, self._audits = [], [], []
        return rows


class Unit(Records):
    """A unit of work on an async session (`write`)."""

    def __init__(
        self, domain: Domain, session: AsyncSession, actor: str | None, request_id: str | None
    ) -> None:
        super().__init__(domain, actor, request_id)
        self.session = session

    async def write_records(self) -> None:
        """The unit's outbox and audit rows (at the end of its transaction; on PostgreSQL
        in one statement, handlers.storage.together)."""
        rows = self._rows()
        if rows and self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(*together(rows))
            return
        for statement, part in rows:
            await self.session.execute(statement, part)


class StalePlan(Exception):
    """A unit's guarded insert wrote nothing: what it was planned on has changed since
    (`SyncUnit.insert`); `write_once` runs the unit again, planned afresh."""


class SyncUnit(Records):
    """A unit of work as one synchronous function on a Core connection (`write_once`)."""

    conn: Connection
    _refused: Callable[[], Exception] | None = None
    _guard: Guard | None = None
    # Plan afresh, nothing kept (set when a unit runs again after a `StalePlan`).
    fresh: bool = False

    def insert(
        self,
        statement: Insert,
        row: dict[str, Any],
        refused: Callable[[], Exception],
        guard: Guard | None = None,
    ) -> None:
        """Insert `row` with the unit's records, before them: on PostgreSQL all in one
        statement (what a `one_statement` unit writes). A constraint that refuses it (an
        `IntegrityError`) raises `refused()` instead, and nothing of the unit is written.
        `guard` (PostgreSQL): only if it holds when the statement runs (handlers.storage
        .together); if not, nothing of the unit is written and `StalePlan` is raised."""
        self._first.append((statement, [row]))
        self._refused = refused
        self._guard = guard

    def write_records(self) -> None:
        rows = self._rows()
        try:
            if rows and self.conn.dialect.name == "postgresql":
                guard, self._guard = self._guard, None
                written = self.conn.execute(*together(rows, guard))
                if guard is not None and written.first() is None:
                    raise StalePlan()
                return
            for statement, part in rows:
                plain = _PLAIN.get(statement)
                if plain is not None:
                    plain.run(self.conn, part)
                else:
                    self.conn.execute(statement, part)
        except IntegrityError as e:
            if self._refused is None:
                raise
            raise self._refused() from e


def _shared_counter(domain: Domain) -> str | None:
    """The write generation's Redis key, when the bus publishes through the same Redis."""
    generation, bus = domain.db.generation, domain.bus
    inner = generation.inner if isinstance(generation, Coalesced) else generation
    if isinstance(inner, RedisGeneration) and isinstance(bus, RedisBus) and bus.url == inner.url:
        return inner.key
    return None


async def publish(domain: Domain, events: list[Event], bump: bool = False) -> None:
    """Put committed events on the bus and mark them published (best effort: a bus failure
    is logged, the outbox row stays unpublished for a relay to retry). `bump`: the unit's
    write generation is yet to be bumped (`Database.run_unit_unbumped`); it is, before any
    event goes out, and with a Redis bus on the generation's Redis in the same round trip
    (`RedisBus.incr_and_publish`; on `kk serve` one round trip of a booking's three)."""
    counter = _shared_counter(domain) if bump and events else None
    if bump and counter is None:
        await domain.db.generation.bump()
    if not events or domain.bus is None:
        return
    marks = domain.published
    sent: list[str] = []
    if counter is not None:
        try:
            await cast(RedisBus, domain.bus).incr_and_publish(counter, events)
            sent = [event.id for event in events]
        except Exception:  # the change is committed; the outbox keeps the events
            log.exception("could not publish %s events", len(events))
            await domain.db.generation.bump()  # (no kept answer may outlive the write)
            return
    else:
        for event in events:
            try:
                await domain.bus.publish(event)
                sent.append(event.id)
            except Exception:  # the change is committed; the outbox keeps the event
                log.exception("could not publish %s %s", event.type, event.id)
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


async def write_once(
    domain: Domain,
    work: Callable[[SyncUnit], T],
    *,
    actor: str | None = None,
    request_id: str | None = None,
    one_statement: bool = False,
) -> T:
    """`work` as one write transaction in one call (`Database.run_unit`: on SQLite a single
    hop to the writer's thread); its events published after the commit. The commit and the
    publishing finish even if the caller is cancelled meanwhile (a client gone).

    `one_statement`: `work` only reads, and its writes are the unit's rows (`SyncUnit.insert`
    and its records), which on PostgreSQL go in one statement: the unit then runs without a
    transaction of its own (no BEGIN and COMMIT round trips; the statement is atomic). A
    second write statement in such a unit is refused (`Database.run_unit`)."""
    await domain.ready()
    unit = SyncUnit(domain, actor, request_id)

    def body(conn: Connection) -> T:
        unit.conn = conn
        result = work(unit)
        unit.write_records()
        return result

    async def commit_and_publish() -> T:
        nonlocal unit
        try:
            result, bump = await domain.db.run_unit_unbumped(body, one_statement=one_statement)
        except StalePlan:  # (nothing was written: the same unit again, planned afresh)
            unit = SyncUnit(domain, actor, request_id)
            unit.fresh = True
            result, bump = await domain.db.run_unit_unbumped(body, one_statement=one_statement)
        await publish(domain, unit.events, bump)
        return result

    return await asyncio.shield(commit_and_publish())


@asynccontextmanager
async def read(domain: Domain) -> AsyncIterator[AsyncSession]:
    """A read-only session of a ready domain."""
    await domain.ready()
    async with domain.db.session() as session:
        yield session
