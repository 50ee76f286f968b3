"""Bookable slots from a weekly schedule in the practitioner's timezone, minus bookings.

Pure functions: the schedule's local wall-clock windows become UTC slots day by day (so a
DST change moves them in UTC, not in local time); a slot is available unless an active
booking overlaps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_DAYS = 31
DEFAULT_DAYS = 7


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    available: bool


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(tz: str, now: datetime) -> date:
    return now.astimezone(zone(tz)).date()


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def slot_starts(
    windows: Iterable[tuple[int, time, time]], tz: str, first: date, last: date, minutes: int
) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) in UTC of every slot of `minutes` in the windows, `first`..`last` local.

    A window is local wall-clock time; its slots are counted in real time between its two
    instants, so every slot lasts `minutes` also on the nights the clocks change: the hour
    repeated in autumn holds slots twice, the hour skipped in spring none. (Stepping in local
    time, as this did, gave a 75-minute "15-minute" slot across the autumn change, and slots
    at local times that do not exist in spring.)"""
    where, length = zone(tz), timedelta(minutes=minutes)
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in windows:
        by_day.setdefault(weekday, []).append((starts, ends))
    for day in days(first, last):
        for starts, ends in sorted(by_day.get(day.weekday(), ())):
            start = datetime.combine(day, starts, where).astimezone(UTC)
            stop = datetime.combine(day, ends, where).astimezone(UTC) if ends > starts else start
            while start + length <= stop:
                yield start, start + length
                start += length


def free_slots(
    candidates: Iterable[tuple[datetime, datetime]], busy: Sequence[tuple[datetime, datetime]]
) -> Iterator[Slot]:
    for start, end in candidates:
        taken = any(b_start < end and b_end > start for b_start, b_end in busy)
        yield Slot(start, end, not taken)


def range_of(first: date | None, last: date | None, tz: str, now: datetime) -> tuple[date, date]:
    """The spec's defaults: from today (local), to 7 days after `from`."""
    first = first or local_today(tz, now)
    return first, last or first + timedelta(days=DEFAULT_DAYS)


def utc_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants that local days `first`..`last` (inclusive) span."""
    where = zone(tz)
    start = datetime.combine(first, time(0), where).astimezone(UTC)
    return start, datetime.combine(last + timedelta(days=1), time(0), where).astimezone(UTC)
