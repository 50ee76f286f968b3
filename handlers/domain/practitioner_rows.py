"""Practitioners read as Core rows: a page of the directory in a few statements (the rows,
then their tags, services and weekly windows, each one `IN` query for the whole page),
built into plain objects instead of an ORM graph (~270 instances a page of 20).

`PractitionerRow` has the attributes of the `Practitioner` model that readers use, so the
REST resources, GraphQL nodes and the slot arithmetic take either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage.models import PractitionerTag, ScheduleWindow, Service
from handlers.storage.models.practitioners import Practitioner

COLUMNS = tuple(Practitioner.__table__.c)
FIELDS_IN_ORDER = tuple(c.key for c in COLUMNS)


class Window(NamedTuple):
    """A weekly working window (weekday 0 = Monday), in the practitioner's timezone."""

    weekday: int
    starts: time
    ends: time


@dataclass(slots=True)
class ServiceRow:
    id: str
    name: str
    duration: int
    price_amount: int
    price_currency: str
    session_types: list[str]


@dataclass(slots=True)
class PractitionerRow:
    id: str
    user_id: str | None
    first_name: str
    last_name: str
    email: str | None
    bio: str
    rating: float
    total_sessions: int
    response_time: int
    verified: bool
    experience: int | None
    credentials: list[Any]
    price_amount: int
    price_currency: str
    city: str | None
    region: str | None
    country: str | None
    timezone: str
    latitude: float | None
    longitude: float | None
    slot_minutes: int
    accepting_bookings: bool
    created_at: datetime
    updated_at: datetime
    tags: dict[str, list[str]] = field(default_factory=dict)  # kind -> values, in order
    services: list[ServiceRow] = field(default_factory=list)
    schedule: list[Window] = field(default_factory=list)

    def tag_values(self, kind: str) -> list[str]:
        return list(self.tags.get(kind, ()))


def practitioner_select() -> Select[Any]:
    """SELECT of every practitioner column (add WHERE, ORDER BY, LIMIT; extra columns follow)."""
    return select(*COLUMNS)


async def rows_of(
    session: AsyncSession, query: Select[Any], extra: int = 0
) -> list[tuple[PractitionerRow, tuple[Any, ...]]]:
    """The practitioners a `practitioner_select()` query finds, each with the values of its
    `extra` trailing columns, their tags, services and schedules attached (4 statements)."""
    conn = await session.connection()
    found: list[tuple[PractitionerRow, tuple[Any, ...]]] = []
    width = len(COLUMNS)
    for row in await conn.execute(query):
        values = tuple(row)
        p = PractitionerRow(**dict(zip(FIELDS_IN_ORDER, values[:width], strict=True)))
        found.append((p, values[width : width + extra]))
    await attach(session, [p for p, _ in found])
    return found


async def practitioners(session: AsyncSession, query: Select[Any]) -> list[PractitionerRow]:
    return [p for p, _ in await rows_of(session, query)]


async def attach(session: AsyncSession, found: Sequence[PractitionerRow]) -> None:
    """Tags, services and weekly windows of the practitioners, one query each."""
    if not found:
        return
    by_id = {p.id: p for p in found}
    ids = list(by_id)
    conn = await session.connection()
    t = PractitionerTag
    tags = await conn.execute(
        select(t.practitioner_id, t.kind, t.value)
        .where(t.practitioner_id.in_(ids))
        .order_by(t.practitioner_id, t.kind, t.position)
    )
    for pid, kind, value in tags:
        by_id[pid].tags.setdefault(kind, []).append(value)
    s = Service
    services = await conn.execute(
        select(
            s.practitioner_id,
            s.id,
            s.name,
            s.duration,
            s.price_amount,
            s.price_currency,
            s.session_types,
        )
        .where(s.practitioner_id.in_(ids))
        .order_by(s.practitioner_id, s.position, s.id)
    )
    for pid, sid, name, duration, amount, currency, types in services:
        by_id[pid].services.append(ServiceRow(sid, name, duration, amount, currency, types))
    w = ScheduleWindow
    windows = await conn.execute(
        select(w.practitioner_id, w.weekday, w.starts, w.ends)
        .where(w.practitioner_id.in_(ids))
        .order_by(w.practitioner_id, w.weekday, w.starts)
    )
    for pid, weekday, starts, ends in windows:
        by_id[pid].schedule.append(Window(weekday, starts, ends))
