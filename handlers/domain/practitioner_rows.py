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

import orjson
from sqlalchemy import (
    BindParameter,
    Select,
    Text,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage.models import PractitionerTag, ScheduleWindow, Service
from handlers.storage.models.practitioners import Practitioner

COLUMNS = tuple(Practitioner.__table__.c)
FIELDS_IN_ORDER = tuple(c.key for c in COLUMNS)
IDS: BindParameter[str] = bindparam("ids", expanding=True)


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


def _parts() -> Select[Any]:
    """Tags, services and weekly windows of the practitioners as one UNION ALL of text
    columns (what, sort, a..f): one statement, one round trip to the database. Built once
    (the ids are an expanding parameter): building a statement costs more than running it."""
    t, s, w = PractitionerTag, Service, ScheduleWindow

    def none(n: int) -> Any:  # distinct objects: select() would fold repeated ones
        return null().cast(Text).label(f"none{n}")

    tags = select(
        t.practitioner_id, literal("t"), t.position, t.kind, t.value, *map(none, range(4))
    ).where(t.practitioner_id.in_(IDS))
    services = select(
        s.practitioner_id,
        literal("s"),
        s.position,
        s.id,
        s.name,
        cast(s.duration, Text),
        cast(s.price_amount, Text),
        s.price_currency,
        cast(s.session_types, Text),
    ).where(s.practitioner_id.in_(IDS))
    windows = select(
        w.practitioner_id,
        literal("w"),
        w.weekday,
        cast(w.starts, Text),
        cast(w.ends, Text),
        *map(none, range(4)),
    ).where(w.practitioner_id.in_(IDS))
    return select(union_all(tags, services, windows).subquery())


PARTS = _parts()


async def attach(session: AsyncSession, found: Sequence[PractitionerRow]) -> None:
    """Tags, services and weekly windows of the practitioners, in one query."""
    if not found:
        return
    by_id = {p.id: p for p in found}
    conn = await session.connection()
    tags: list[tuple[str, int, str, str]] = []
    services: list[tuple[str, int, ServiceRow]] = []
    windows: list[tuple[str, Window]] = []
    for pid, what, order, a, b, c, d, e, f in await conn.execute(PARTS, {"ids": list(by_id)}):
        if what == "t":
            tags.append((pid, order, a, b))
        elif what == "s":
            row = ServiceRow(a, b, int(c), int(d), e, orjson.loads(f) if f else [])
            services.append((pid, order, row))
        else:
            windows.append((pid, Window(order, time.fromisoformat(a), time.fromisoformat(b))))
    for pid, _, kind, value in sorted(tags, key=lambda x: x[1]):
        by_id[pid].tags.setdefault(kind, []).append(value)
    for pid, _, service in sorted(services, key=lambda x: (x[1], x[2].id)):
        by_id[pid].services.append(service)
    for pid, window in sorted(windows, key=lambda x: (x[1].weekday, x[1].starts)):
        by_id[pid].schedule.append(window)
