"""The payment timeout's setting (KK_PAYMENT_TIMEOUT or the app option): a number of seconds
in (0, 120], anything else a start-up error that names it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.gateway_timeout import DEFAULT_TIMEOUT, ENV, MAX_TIMEOUT, timed_out, timeout_of
from kkcore.errors import StartupError


def test_without_a_setting_the_timeout_is_ten_seconds() -> None:
    assert timeout_of({}, {}) == DEFAULT_TIMEOUT == 10.0


@given(st.floats(min_value=0.001, max_value=MAX_TIMEOUT))
def test_a_number_of_seconds_in_range_is_taken_from_the_environment(seconds: float) -> None:
    assert timeout_of({}, {ENV: repr(seconds)}) == seconds


@given(
    st.one_of(
        st.floats(max_value=0),
        st.floats(min_value=MAX_TIMEOUT, exclude_min=True),
        st.just(math.nan),
        st.text().filter(lambda t: not _number(t)),
    )
)
def test_anything_else_is_a_startup_error_naming_the_setting(raw: object) -> None:
    with pytest.raises(StartupError, match=ENV):
        timeout_of({}, {ENV: str(raw)})


def test_the_app_option_wins_over_the_environment() -> None:
    assert timeout_of({"payment_timeout": 0.25}, {ENV: "5"}) == 0.25


@given(st.floats(min_value=0.001, max_value=MAX_TIMEOUT))
def test_retry_after_is_whole_seconds_and_at_least_one(seconds: float) -> None:
    error = timed_out("charge", seconds)
    assert error.status == 503 and error.code == "SERVICE_UNAVAILABLE"
    assert int(error.headers["Retry-After"]) == max(1, math.ceil(seconds))


def _number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return 0 < value <= MAX_TIMEOUT
