"""Properties of the slot arithmetic behind GET /v1/practitioners/{id}/availability: slots
follow local wall-clock windows (also across DST changes), never overlap a busy interval
when marked available, and the range defaults and UTC bounds match the spec."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from handlers.domain import availability as slots

ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))
MINUTES = st.sampled_from([15, 30, 45, 60, 90])
HOURS = st.integers(min_value=0, max_value=23)


def at(hour: int) -> time:
    return time(hour)


def test_an_unknown_or_malformed_time_zone_falls_back_to_utc() -> None:
    assert slots.zone("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert slots.zone("../etc/passwd") == ZoneInfo("UTC")
    assert slots.zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")


@given(ZONES, DAYS, HOURS, HOURS, MINUTES)
def test_every_slot_lies_inside_its_local_window_and_has_the_slot_length(
    tz: str, day: date, start_hour: int, end_hour: int, minutes: int
) -> None:
    window = (day.weekday(), at(start_hour), at(end_hour))
    found = list(slots.slot_starts([window], tz, day, day, minutes))
    where = ZoneInfo(tz)
    for start, end in found:
        local_start, local_end = start.astimezone(where), end.astimezone(where)
        assert local_start.date() == day
        assert at(start_hour) <= local_start.time() and local_end.time() <= at(end_hour)
        assert end - start == timedelta(minutes=minutes)
    starts = [s for s, _ in found]
    assert starts == sorted(set(starts))  # in order, no duplicates
    if end_hour > start_hour:  # the window holds exactly this many whole slots of real time
        lasts = datetime.combine(day, at(end_hour), where) - datetime.combine(
            day, at(start_hour), where
        ).astimezone(UTC)
        assert len(found) == max(lasts, timedelta(0)) // timedelta(minutes=minutes)
    else:  # an empty or inverted window offers nothing
        assert found == []


@given(DAYS, MINUTES)
def test_a_window_on_another_weekday_offers_nothing(day: date, minutes: int) -> None:
    window = ((day.weekday() + 1) % 7, time(9), time(17))
    assert list(slots.slot_starts([window], "UTC", day, day, minutes)) == []


def test_a_dst_change_keeps_the_local_time_and_moves_the_utc_time() -> None:
    # Europe/Berlin switched to summer time on Sunday 2024-03-31.
    window = [(d, time(9), time(10)) for d in range(7)]
    spring = date(2024, 3, 30), date(2024, 3, 31)
    found = list(slots.slot_starts(window, "Europe/Berlin", *spring, 60))
    assert [s for s, _ in found] == [
        datetime(2024, 3, 30, 8, tzinfo=UTC),
        datetime(2024, 3, 31, 7, tzinfo=UTC),
    ]


@st.composite
def intervals(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * draw(st.integers(0, 200)))
    return start, start + timedelta(minutes=15 * draw(st.integers(1, 12)))


@given(st.lists(intervals(), max_size=20), st.lists(intervals(), max_size=8))
def test_a_slot_is_available_exactly_when_no_busy_interval_overlaps_it(
    candidates: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> None:
    found = list(slots.free_slots(candidates, busy))
    assert [(s.start, s.end) for s in found] == candidates
    for s in found:
        overlapping = [b for b in busy if max(s.start, b[0]) < min(s.end, b[1])]
        assert s.available == (not overlapping)


@given(ZONES, DAYS)
def test_the_range_defaults_to_a_week_from_the_local_today(tz: str, day: date) -> None:
    now = datetime.combine(day, time(12), UTC)
    first, last = slots.range_of(None, None, tz, now)
    assert first == now.astimezone(ZoneInfo(tz)).date()
    assert last - first == timedelta(days=slots.DEFAULT_DAYS)
    assert slots.range_of(day, None, tz, now) == (day, day + timedelta(days=7))
    assert slots.range_of(day, day, tz, now) == (day, day)


@given(ZONES, DAYS, st.integers(min_value=0, max_value=slots.MAX_DAYS))
def test_the_utc_bounds_span_the_local_days_from_midnight_to_midnight(
    tz: str, first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    start, end = slots.utc_bounds(first, last, tz)
    where = ZoneInfo(tz)
    assert start.astimezone(where) == datetime.combine(first, time(0), where)
    assert end.astimezone(where).replace(tzinfo=None) == datetime.combine(
        last + timedelta(days=1), time(0)
    )
    # about a day per local day; a DST change moves it by at most an hour
    assert abs((end - start) - timedelta(days=length + 1)) <= timedelta(hours=1)


def test_the_autumn_night_repeats_an_hour_of_slots_and_the_spring_night_skips_one() -> None:
    """America/New_York: 2023-11-05 01:00-02:00 happens twice, 2024-03-10 02:00-03:00 never."""
    window = [(d, time(1), time(3)) for d in range(7)]
    autumn = list(
        slots.slot_starts(window, "America/New_York", date(2023, 11, 5), date(2023, 11, 5), 60)
    )
    assert [(s.hour, e.hour) for s, e in autumn] == [(5, 6), (6, 7), (7, 8)]  # UTC, an hour each
    spring = list(
        slots.slot_starts(window, "America/New_York", date(2024, 3, 10), date(2024, 3, 10), 60)
    )
    assert [(s.hour, e.hour) for s, e in spring] == [(6, 7)]  # 01:00 EST to 03:00 EDT: one hour
