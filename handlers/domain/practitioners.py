"""The practitioner directory: search (filters, sorts, stable pagination), profiles and
availability. Shared by REST (handlers/practitioners.py) and GraphQL resolvers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from handlers.domain import availability as slots
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound
from handlers.domain.unit import read
from handlers.storage.models import Booking, Practitioner, PractitionerTag, ScheduleWindow
from handlers.storage.models.bookings import RELEASED
from handlers.storage.models.practitioners import LANGUAGE, SESSION_TYPE, SPECIALIZATION
from server.errors import BadRequest, Problem

# How far ahead `next_available_at` looks, and the availability filters at most.
HORIZON_DAYS = 31
LOADS = (
    selectinload(Practitioner.tags),
    selectinload(Practitioner.services),
    selectinload(Practitioner.schedule),
)
# Relevance ranks by a weighted rating: a 5.0 from no sessions should not outrank 4.8 from
# 1,250. The rating is pulled towards PRIOR_RATING as if PRIOR_SESSIONS more were rated so
# (the "Bayesian average" of review sites).
PRIOR_RATING, PRIOR_SESSIONS = 4.0, 20
WEIGHTED_RATING = (
    Practitioner.rating * Practitioner.total_sessions + PRIOR_RATING * PRIOR_SESSIONS
) / (Practitioner.total_sessions + PRIOR_SESSIONS)
SORTS: dict[str, tuple[Any, ...]] = {
    "relevance": (
        Practitioner.verified.desc(),
        WEIGHTED_RATING.desc(),
        Practitioner.total_sessions.desc(),
    ),
    "rating": (Practitioner.rating.desc(), Practitioner.total_sessions.desc()),
    "price_asc": (Practitioner.price_amount.asc(),),
    "price_desc": (Practitioner.price_amount.desc(),),
    "total_sessions": (Practitioner.total_sessions.desc(),),
    "next_available": (),
}


@dataclass(frozen=True)
class Search:
    specialization: str | None = None
    location: str | None = None
    available_from: datetime | None = None
    available_to: datetime | None = None
    rating_min: float | None = None
    price_max: int | None = None
    language: str | None = None
    session_type: str | None = None
    sort: str = "relevance"


def _tag(kind: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        PractitionerTag.practitioner_id == Practitioner.id, PractitionerTag.kind == kind, condition
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(search: Search) -> Select[Practitioner]:
    query = select(Practitioner)
    if search.specialization:
        cond = func.lower(PractitionerTag.value).like(_like(search.specialization), escape="\\")
        query = query.where(_tag(SPECIALIZATION, cond))
    if search.language:
        query = query.where(
            _tag(LANGUAGE, func.lower(PractitionerTag.value) == search.language.lower())
        )
    if search.session_type:
        query = query.where(_tag(SESSION_TYPE, PractitionerTag.value == search.session_type))
    if search.location:
        query = query.where(func.lower(Practitioner.city).like(_like(search.location), escape="\\"))
    if search.rating_min is not None:
        query = query.where(Practitioner.rating >= search.rating_min)
    if search.price_max is not None:
        query = query.where(Practitioner.price_amount <= search.price_max)
    return query


class PractitionerService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def search(
        self, search: Search, limit: int, offset: int
    ) -> tuple[list[Practitioner], int, dict[str, datetime | None]]:
        """A page of matches, the number of matches and each one's next free slot."""
        query = filtered(search)
        by_time = search.sort == "next_available" or search.available_from or search.available_to
        async with read(self.domain) as session:
            if not by_time:
                total = await session.scalar(select(func.count()).select_from(query.subquery()))
                ordered = query.order_by(*SORTS.get(search.sort, ()), Practitioner.id)
                found = list(
                    await session.scalars(ordered.options(*LOADS).limit(limit).offset(offset))
                )
                return found, int(total or 0), await self.next_free(session, found)
            everyone = list(await session.scalars(query.options(*LOADS).order_by(Practitioner.id)))
            after = search.available_from or self.domain.clock()
            nexts = await self.next_free(session, everyone, after)
        until = search.available_to
        matching = [
            p
            for p in everyone
            if (at := nexts[p.id]) is not None and (until is None or at <= until)
        ]
        if search.sort == "next_available":
            matching.sort(key=lambda p: (nexts[p.id] or after, p.id))
        else:
            matching.sort(key=_python_order(search.sort))
        return matching[offset : offset + limit], len(matching), nexts

    async def get(self, practitioner_id: str) -> tuple[Practitioner, datetime | None]:
        async with read(self.domain) as session:
            found = await session.get(Practitioner, practitioner_id, options=LOADS)
            if found is None:
                raise NotFound(f"No practitioner {practitioner_id}")
            return found, (await self.next_free(session, [found]))[found.id]

    async def availability(
        self, practitioner_id: str, first: date | None, last: date | None
    ) -> tuple[Practitioner, list[slots.Slot]]:
        async with read(self.domain) as session:
            p = await session.get(Practitioner, practitioner_id, options=LOADS)
            if p is None:
                raise NotFound(f"No practitioner {practitioner_id}")
            today = slots.local_today(p.timezone, self.domain.clock())
            if first is None and last is not None and last < today:
                return p, []  # only `to`, and it is past: nothing left to book
            first, last = slots.range_of(first, last, p.timezone, self.domain.clock())
            last = check_range(first, last)
            start, end = slots.utc_bounds(first, last, p.timezone)
            busy = await busy_times(session, [p.id], start, end)
        found = slots.slot_starts(_windows(p.schedule), p.timezone, first, last, p.slot_minutes)
        return p, list(slots.free_slots(found, busy.get(p.id, [])))

    async def next_free(
        self, session: AsyncSession, found: Sequence[Practitioner], after: datetime | None = None
    ) -> dict[str, datetime | None]:
        """Each practitioner's first free slot starting at or after `after` (default now)."""
        after = after or self.domain.clock()
        end = after + timedelta(days=HORIZON_DAYS)
        busy = await busy_times(session, [p.id for p in found], after, end)
        result: dict[str, datetime | None] = {}
        for p in found:
            first = slots.local_today(p.timezone, after) - timedelta(days=1)
            last = slots.local_today(p.timezone, end)
            candidates = (
                c
                for c in slots.slot_starts(
                    _windows(p.schedule), p.timezone, first, last, p.slot_minutes
                )
                if c[0] >= after
            )
            free = next(
                (s.start for s in slots.free_slots(candidates, busy.get(p.id, [])) if s.available),
                None,
            )
            result[p.id] = free
        return result


def check_range(first: date, last: date) -> date:
    """The last day to answer: a range longer than MAX_DAYS is answered for its first MAX_DAYS
    (like a page; ask again from the day after for more)."""
    if last < first:
        raise BadRequest(problems=[Problem("`to` is before `from`", parameter="to")])
    return min(last, first + timedelta(days=slots.MAX_DAYS))


def _windows(schedule: Sequence[ScheduleWindow]) -> list[tuple[int, Any, Any]]:
    return [(w.weekday, w.starts, w.ends) for w in schedule]


def _python_order(sort: str) -> Any:
    keys = {
        "rating": lambda p: (-p.rating, -p.total_sessions, p.id),
        "price_asc": lambda p: (p.price_amount, p.id),
        "price_desc": lambda p: (-p.price_amount, p.id),
        "total_sessions": lambda p: (-p.total_sessions, p.id),
    }
    return keys.get(sort, lambda p: (not p.verified, -weighted(p), -p.total_sessions, p.id))


def weighted(p: Practitioner) -> float:
    """WEIGHTED_RATING of one loaded practitioner."""
    sessions = p.total_sessions
    return (p.rating * sessions + PRIOR_RATING * PRIOR_SESSIONS) / (sessions + PRIOR_SESSIONS)


async def busy_times(
    session: AsyncSession, ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Active bookings of the practitioners overlapping [start, end), in one query."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Booking.practitioner_id, Booking.scheduled_at, Booking.ends_at).where(
            Booking.practitioner_id.in_(ids),
            Booking.status.not_in(RELEASED),
            and_(Booking.scheduled_at < end, Booking.ends_at > start),
        )
    )
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for pid, s, e in rows:
        busy.setdefault(pid, []).append((s, e))
    return busy
