"""The booking lifecycle (the spec's BookingStatus and its `x-mock-transitions`) and the
cancellation policy's arithmetic."""

from __future__ import annotations

from datetime import datetime

from handlers.domain.errors import InvalidBookingStatus
from handlers.storage.models import Booking

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"in_progress", "cancelled", "no_show"}),
    "in_progress": frozenset({"completed"}),
}
# Statuses in which a booking may still be rescheduled.
ACTIVE_FOR_CHANGES = frozenset({"pending", "confirmed"})


def check_transition(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        allowed = sorted(TRANSITIONS.get(current, ()))
        hint = f"; allowed: {', '.join(allowed)}" if allowed else f" ({current} is final)"
        raise InvalidBookingStatus(f"A booking cannot go from {current} to {wanted}{hint}")


def price_split(b: Booking, now: datetime, *, waive: bool = False) -> tuple[int, int]:
    """(fee, refund) in major units: free at least `free_until_hours` ahead (or when the
    practitioner cancels), else `late_fee_percent` of the price is kept."""
    policy = b.cancellation_policy or {}
    hours_ahead = (b.scheduled_at - now).total_seconds() / 3600
    free = waive or hours_ahead >= float(policy.get("free_until_hours", 24))
    fee = 0 if free else round(b.price_amount * int(policy.get("late_fee_percent", 50)) / 100)
    return fee, b.price_amount - fee
