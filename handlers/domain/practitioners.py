"""The practitioner directory: search (filters, sorts, stable pagination), profiles and
availability. Shared by REST (handlers/rest/practitioners.py) and GraphQL resolvers."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handlers.domain import availability as slots
from handlers.domain.context import Domain
from handlers.domain.directory_order import (
    ORDER_KEYS,
    SORTS,
    after_row,
    decode_cursor,
    distance_km,
    encode_cursor,
)
from handlers.domain.errors import NotFound
from handlers.domain.jsonapi import iso, parse_time
from handlers.domain.practitioner_rows import (
    PractitionerRow,
    Window,
    practitioner_select,
    practitioners,
    rows_of,
)
from handlers.domain.unit import read
from handlers.storage.models import Booking, Practitioner, PractitionerTag, Review
from handlers.storage.models.bookings import RELEASED
from handlers.storage.models.practitioners import LANGUAGE, SESSION_TYPE, SPECIALIZATION
from kkcore.errors import BadRequest, Problem
from server.answer_cache import valid_until

# How far ahead `next_available_at` looks, and the availability filters at most.
HORIZON_DAYS = 31


def _horizon_moves(tz: str, end: datetime) -> datetime:
    """When the horizon (now + HORIZON_DAYS) reaches the next local day, whose slots it adds."""
    last = slots.local_today(tz, end)
    return slots.utc_bounds(last, last, tz)[1] - timedelta(days=HORIZON_DAYS)


@dataclass(frozen=True)
class Search:
    specialization: str | None = None
    location: str | None = None
    available_from: datetime | None = None
    available_to: datetime | None = None
    rating_min: float | None = None
    price_max: int | None = None
    language: str | None = None
    session_types: tuple[str, ...] = ()  # each must be offered
    country: str | None = None
    verified: bool | None = None
    # (latitude, longitude, radius in km): practitioners within the radius of the point.
    near: tuple[float, float, float] | None = None
    sort: str = "relevance"

    @property
    def in_python(self) -> bool:
        """Whether matching or order needs each practitioner's next free slot or distance
        (computed here, not in SQL)."""
        timed = self.sort == "next_available" or self.available_from or self.available_to
        return bool(timed or self.near)


@dataclass
class Page:
    """One page of a keyset-paginated search: each item's cursor, whether more follow."""

    items: list[PractitionerRow]
    total: int
    next_free: dict[str, datetime | None]
    cursors: list[str] = field(default_factory=list)
    more: bool = False


def _tag(kind: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        PractitionerTag.practitioner_id == Practitioner.id, PractitionerTag.kind == kind, condition
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(search: Search) -> Select[Any]:
    query = practitioner_select()
    if search.specialization:
        cond = func.lower(PractitionerTag.value).like(_like(search.specialization), escape="\\")
        query = query.where(_tag(SPECIALIZATION, cond))
    if search.language:
        query = query.where(
            _tag(LANGUAGE, func.lower(PractitionerTag.value) == search.language.lower())
        )
    for kind in dict.fromkeys(search.session_types):
        query = query.where(_tag(SESSION_TYPE, PractitionerTag.value == kind))
    if search.country:
        query = query.where(func.upper(Practitioner.country) == search.country.upper())
    if search.verified is not None:
        query = query.where(Practitioner.verified == search.verified)
    if search.near:
        lat, lon, km = search.near  # a box around the circle; the exact test is in Python
        dlat = km / 111.0  # (a degree of latitude is at least 110.57 km)
        query = query.where(Practitioner.latitude.between(lat - dlat, lat + dlat))
        widest = max(abs(lat - dlat), abs(lat + dlat))  # degrees of longitude are widest there
        if widest < 89:
            dlon = km / (111.0 * math.cos(math.radians(widest)))
            if -180 <= lon - dlon and lon + dlon <= 180:  # (across the antimeridian: no box)
                query = query.where(Practitioner.longitude.between(lon - dlon, lon + dlon))
    if search.location:
        query = query.where(func.lower(Practitioner.city).like(_like(search.location), escape="\\"))
    if search.rating_min is not None:
        query = query.where(Practitioner.rating >= search.rating_min)
    if search.price_max is not None:
        query = query.where(Practitioner.price_amount <= search.price_max)
    return query


@functools.lru_cache(maxsize=256)
def _counted_page(search: Search) -> Select[Any]:
    """The search's rows in order, each with the number of matches (a window over them all);
    built once per distinct search (building costs more than running it on SQLite)."""
    counted = filtered(search).add_columns(func.count().over())
    return counted.order_by(*SORTS.get(search.sort, ()), Practitioner.id)


class PractitionerService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def search(
        self, search: Search, limit: int, offset: int
    ) -> tuple[list[PractitionerRow], int, dict[str, datetime | None]]:
        """A page of matches by offset (REST), the number of matches, each one's next slot."""
        if search.in_python:
            ranked, nexts = await self._ranked(search)
            return ranked[offset : offset + limit], len(ranked), nexts
        async with read(self.domain) as session:
            ordered = _counted_page(search)
            rows = await rows_of(session, ordered.limit(limit).offset(offset), extra=1)
            found = [p for p, _ in rows]
            if rows:
                total = int(rows[0][1][0])
            else:  # past the last page (or no match): the page says nothing of the total
                total = await _count(session, filtered(search)) if offset else 0
            return found, total, await self.next_free(session, found)

    async def page(self, search: Search, first: int, after: str | None) -> Page:
        """A page by keyset (GraphQL): the rows after the cursor's row in the search's order."""
        start = decode_cursor(search.sort, after) if after else None
        if search.in_python:
            ranked, nexts = await self._ranked(search)
            rest = ranked
            if start is not None:
                mark = self._rank(search, start[0], start[1])
                rest = [p for p in ranked if self._rank_of(search, p, nexts) > mark]
            items = rest[:first]
            cursors = [encode_cursor(search.sort, self._raw(search, p, nexts), p.id) for p in items]
            return Page(items, len(ranked), nexts, cursors, len(rest) > first)
        keys = ORDER_KEYS.get(search.sort, ())
        query = filtered(search)
        async with read(self.domain) as session:
            total = await _count(session, query)
            keyed = query.add_columns(*(expr for expr, _, _ in keys))
            if start is not None:
                keyed = keyed.where(after_row(keys, *start))
            ordered = keyed.order_by(*SORTS.get(search.sort, ()), Practitioner.id)
            rows = await rows_of(session, ordered.limit(first + 1), extra=len(keys))
            items = [p for p, _ in rows[:first]]
            cursors = [encode_cursor(search.sort, list(k), p.id) for p, k in rows[:first]]
            nexts = await self.next_free(session, items)
        return Page(items, total, nexts, cursors, len(rows) > first)

    async def _ranked(
        self, search: Search
    ) -> tuple[list[PractitionerRow], dict[str, datetime | None]]:
        """Every match in order, where matching or order is computed here."""
        async with read(self.domain) as session:
            everyone = await practitioners(session, filtered(search).order_by(Practitioner.id))
            nexts = await self.next_free(session, everyone, search.available_from)
        timed = search.sort == "next_available" or search.available_from or search.available_to
        matching = [p for p in everyone if self._matches(search, p, nexts, bool(timed))]
        matching.sort(key=lambda p: self._rank_of(search, p, nexts))
        return matching, nexts

    def _matches(
        self, search: Search, p: PractitionerRow, nexts: dict[str, datetime | None], timed: bool
    ) -> bool:
        if timed:
            at = nexts.get(p.id)
            if at is None or (search.available_to is not None and at > search.available_to):
                return False
        if search.near:
            lat, lon, km = search.near
            if p.latitude is None or p.longitude is None:
                return False
            return distance_km(lat, lon, p.latitude, p.longitude) <= km
        return True

    @staticmethod
    def _raw(search: Search, p: PractitionerRow, nexts: dict[str, datetime | None]) -> list[Any]:
        if search.sort == "next_available":
            return [iso(nexts.get(p.id))]
        return [value(p) for _, value, _ in ORDER_KEYS.get(search.sort, ORDER_KEYS["relevance"])]

    def _rank_of(
        self, search: Search, p: PractitionerRow, nexts: dict[str, datetime | None]
    ) -> tuple[Any, ...]:
        return self._rank(search, self._raw(search, p, nexts), p.id)

    @staticmethod
    def _rank(search: Search, raw: Sequence[Any], pid: str) -> tuple[Any, ...]:
        """A comparable key: ascending in the search's order."""
        if search.sort == "next_available":
            at = raw[0] if raw else None
            return (at is None, parse_time(at) if isinstance(at, str) else datetime.max, pid)
        keys = ORDER_KEYS.get(search.sort, ORDER_KEYS["relevance"])
        out: list[Any] = []
        for (_, _, desc), v in zip(keys, raw, strict=False):
            number = float(v) if not isinstance(v, str) else 0.0
            out.append(-number if desc else number)
        return (*out, pid)

    async def many(self, ids: Sequence[str]) -> dict[str, tuple[PractitionerRow, datetime | None]]:
        """Practitioners by id, with their next free slots, in five queries (GraphQL batches)."""
        async with read(self.domain) as session:
            query = practitioner_select().where(Practitioner.id.in_(ids))
            found = await practitioners(session, query)
            nexts = await self.next_free(session, found)
        return {p.id: (p, nexts[p.id]) for p in found}

    async def reviews(
        self, ids: Sequence[str], first: int, after: str | None
    ) -> dict[str, tuple[list[Review], int, bool]]:
        """Each practitioner's reviews, newest first, after a cursor (a review id): a page,
        the number of reviews and whether more follow, in two queries for all of them."""
        async with read(self.domain) as session:
            counts = dict(
                (
                    await session.execute(
                        select(Review.practitioner_id, func.count())
                        .where(Review.practitioner_id.in_(ids))
                        .group_by(Review.practitioner_id)
                    )
                ).all()
            )
            query = select(Review).where(Review.practitioner_id.in_(ids))
            if after:
                mark = await session.get(Review, after)
                if mark is None:
                    problem = Problem("`after` is not a review cursor", parameter="after")
                    raise BadRequest(problems=[problem])
                query = query.where(
                    or_(
                        Review.created_at < mark.created_at,
                        and_(Review.created_at == mark.created_at, Review.id < mark.id),
                    )
                )
            place = (
                func.row_number()
                .over(
                    partition_by=Review.practitioner_id,
                    order_by=(Review.created_at.desc(), Review.id.desc()),
                )
                .label("place")
            )
            ranked = query.add_columns(place).subquery()
            aliased_review = aliased(Review, ranked)
            rows = await session.scalars(
                select(aliased_review)
                .where(ranked.c.place <= first + 1)
                .order_by(ranked.c.practitioner_id, ranked.c.place)
            )
            pages: dict[str, list[Review]] = {pid: [] for pid in ids}
            for r in rows:
                pages[r.practitioner_id].append(r)
        return {
            pid: (found[:first], int(counts.get(pid, 0)), len(found) > first)
            for pid, found in pages.items()
        }

    async def get(self, practitioner_id: str) -> tuple[PractitionerRow, datetime | None]:
        async with read(self.domain) as session:
            found = await _one(session, practitioner_id)
            return found, (await self.next_free(session, [found]))[found.id]

    async def availability(
        self, practitioner_id: str, first: date | None, last: date | None
    ) -> tuple[PractitionerRow, list[slots.Slot]]:
        async with read(self.domain) as session:
            p = await _one(session, practitioner_id)
            today = slots.local_today(p.timezone, self.domain.clock())
            if first is None:  # the range starts today: the answer holds until tomorrow
                valid_until(slots.utc_bounds(today, today, p.timezone)[1])
            if first is None and last is not None and last < today:
                return p, []  # only `to`, and it is past: nothing left to book
            first, last = slots.range_of(first, last, p.timezone, self.domain.clock())
            last = check_range(first, last)
            start, end = slots.utc_bounds(first, last, p.timezone)
            busy = await busy_times(session, [p.id], start, end)
        found = slots.slot_starts(_windows(p.schedule), p.timezone, first, last, p.slot_minutes)
        return p, list(slots.free_slots(found, busy.get(p.id, [])))

    async def next_free(
        self, session: AsyncSession, found: Sequence[PractitionerRow], after: datetime | None = None
    ) -> dict[str, datetime | None]:
        """Each practitioner's first free slot starting at or after `after` (default now)."""
        by_clock = after is None
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
            if by_clock:  # a kept answer holds until the clock changes this value
                valid_until(free or _horizon_moves(p.timezone, end))
        return result


def check_range(first: date, last: date) -> date:
    """The last day to answer: a range longer than MAX_DAYS is answered for its first MAX_DAYS
    (like a page; ask again from the day after for more)."""
    if last < first:
        raise BadRequest(problems=[Problem("`to` is before `from`", parameter="to")])
    return min(last, first + timedelta(days=slots.MAX_DAYS))


def _windows(schedule: Sequence[Window]) -> list[tuple[int, Any, Any]]:
    return [(w.weekday, w.starts, w.ends) for w in schedule]


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    conn = await session.connection()
    return int(await conn.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def _one(session: AsyncSession, practitioner_id: str) -> PractitionerRow:
    found = await practitioners(
        session, practitioner_select().where(Practitioner.id == practitioner_id)
    )
    if not found:
        raise NotFound(f"No practitioner {practitioner_id}")
    return found[0]


# Built once (parameters bound per call): building a statement costs more than running it.
BUSY = select(Booking.practitioner_id, Booking.scheduled_at, Booking.ends_at).where(
    Booking.practitioner_id.in_(bindparam("ids", expanding=True)),
    Booking.status.not_in(RELEASED),
    Booking.scheduled_at < bindparam("end", type_=Booking.scheduled_at.type),
    Booking.ends_at > bindparam("start", type_=Booking.ends_at.type),
)


async def busy_times(
    session: AsyncSession, ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Active bookings of the practitioners overlapping [start, end), in one query."""
    if not ids:
        return {}
    conn = await session.connection()
    rows = await conn.execute(BUSY, {"ids": list(ids), "start": start, "end": end})
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for pid, s, e in rows:
        busy.setdefault(pid, []).append((s, e))
    return busy
