"""The cancellation policy table (handlers.domain.cancellation_policy): what comes back is
never more than the price, never less for an earlier cancellation, whatever the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.cancellation_policy import (
    DEFAULT_POLICY,
    Tier,
    document,
    refund_if_cancelled_now,
    split,
    tiers_of,
)
from handlers.storage.models import Booking

HOURS = st.floats(-1000, 1000, allow_nan=False)
PRICES = st.integers(0, 1_000_000)
TIERS = st.lists(st.builds(Tier, st.integers(-48, 720).map(float), st.integers(0, 100)), max_size=6)


@given(price=PRICES, hours=HOURS, tiers=TIERS)
def test_a_refund_is_never_more_than_the_price_and_the_fee_makes_up_the_rest(
    price: int, hours: float, tiers: list[Tier]
) -> None:
    fee, back = split(price, document(tiers), hours)
    assert 0 <= back <= price and 0 <= fee <= price and fee + back == price


@given(price=PRICES, early=HOURS, late=HOURS, tiers=TIERS)
def test_cancelling_earlier_never_gives_back_less(
    price: int, early: float, late: float, tiers: list[Tier]
) -> None:
    early, late = max(early, late), min(early, late)
    policy = document(tiers)
    assert split(price, policy, early)[1] >= split(price, policy, late)[1]


@given(price=PRICES, hours=HOURS)
def test_the_practitioners_cancellation_gives_everything_back(price: int, hours: float) -> None:
    assert split(price, DEFAULT_POLICY, hours, waive=True) == (0, price)


def test_the_platform_policy_is_free_until_a_day_before_half_until_the_start_then_nothing() -> None:
    back = {h: split(80, DEFAULT_POLICY, h)[1] for h in (72, 24, 23.9, 0.5, 0, -0.1, -5)}
    assert back == {72: 80, 24: 80, 23.9: 40, 0.5: 40, 0: 40, -0.1: 0, -5: 0}


def test_a_booking_stored_before_tiers_reads_as_its_free_window_and_fee() -> None:
    assert tiers_of({"free_until_hours": 48, "late_fee_percent": 30}) == (
        Tier(48, 100),
        Tier(0, 70),
    )
    assert split(100, {"free_until_hours": 48, "late_fee_percent": 30}, 47) == (30, 70)


def test_refund_if_cancelled_now_is_none_once_the_booking_cannot_be_cancelled() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    b = Booking(
        scheduled_at=now + timedelta(hours=10),
        price_amount=90,
        price_currency="USD",
        status="confirmed",
        cancellation_policy=dict(DEFAULT_POLICY),
    )
    assert refund_if_cancelled_now(b, now) == 45
    b.status = "completed"
    assert refund_if_cancelled_now(b, now) is None
