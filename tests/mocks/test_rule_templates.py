"""`$now+P<n>D` in `x-mock-defaults` and rule patches: n days after the engine's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mocks.rules import render

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(now=MOMENTS, days=st.integers(min_value=0, max_value=99_999))
def test_now_plus_days_is_that_many_days_after_the_clock(now: datetime, days: int) -> None:
    clock = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    filled = render({"expires_at": f"$now+P{days}D"}, {"now": clock})
    expected = now.replace(microsecond=0) + timedelta(days=days)
    assert filled == {"expires_at": expected.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_an_offset_clock_is_answered_in_utc() -> None:
    assert render("$now+P1D", {"now": "2024-01-01T02:00:00+05:00"}) == "2024-01-01T21:00:00Z"


def test_a_clock_that_is_not_iso_8601_drops_the_key_and_other_forms_stay_text() -> None:
    assert render({"at": "$now+P1D"}, {"now": "yesterday"}) == {}
    assert render("$now+P1W", {"now": "2024-01-01T00:00:00Z"}) == "$now+P1W"
    assert render("$now+P123456D", {"now": "2024-01-01T00:00:00Z"}) == "$now+P123456D"
