"""The cancellation policy as data: how much of a booking's price comes back, by how many
hours before the session it is cancelled. One table, read by cancellations (the booking's
fee and refund, and the refund sent to the payment gateway) and shown in every booking's
attributes (`cancellation_policy`, `refund_if_cancelled_now`).

A policy is a list of tiers, earliest first: cancelling at least `hours_before` hours before
the start gives back `refund_percent` of the price; later than the last tier (once the
session has begun, for the platform's policy) gives back nothing. A booking keeps the policy
it was made under (stored on its row), so a change of the table here never changes what an
existing booking's patient was promised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from handlers.storage.models import Booking

# The statuses a booking may be cancelled from (the lifecycle of handlers.domain.transitions).
CANCELLABLE = frozenset({"pending", "confirmed"})


@dataclass(frozen=True)
class Tier:
    hours_before: float
    refund_percent: int


# The platform's policy: free until 24 hours before, half back after that, none once begun.
DEFAULT_TIERS: tuple[Tier, ...] = (Tier(24, 100), Tier(0, 50))


def describe(tiers: Sequence[Tier]) -> str:
    parts = [f"{t.refund_percent}% back from {t.hours_before:g} hours before" for t in tiers]
    return "Cancelling gives " + "; ".join(parts) + "; nothing later."


def _listed(tiers: Sequence[Tier]) -> list[dict[str, Any]]:
    return [{"hours_before": t.hours_before, "refund_percent": t.refund_percent} for t in tiers]


def document(tiers: Sequence[Tier] = DEFAULT_TIERS) -> dict[str, Any]:
    """A policy as a booking stores and shows it (REST's CancellationPolicy). The first two
    keys keep the shape bookings had before tiers (free window, fee of the next tier)."""
    free = next((t.hours_before for t in tiers if t.refund_percent >= 100), 0)
    late = next((t for t in tiers if t.refund_percent < 100), None)
    return {
        "free_until_hours": int(free),
        "late_fee_percent": 100 - late.refund_percent if late else 100,
        "tiers": _listed(tiers),
        "description": describe(tiers),
    }


DEFAULT_POLICY = document(DEFAULT_TIERS)


def tiers_of(policy: Mapping[str, Any] | None) -> tuple[Tier, ...]:
    """A stored policy's tiers, earliest first. Bookings stored before tiers existed carry
    only `free_until_hours` and `late_fee_percent`: free until then, the fee until the start."""
    if policy is DEFAULT_POLICY:  # (a new booking's, read twice per booking: worked out once)
        return _DEFAULT_TIERS
    return _tiers(policy)


def _tiers(policy: Mapping[str, Any] | None) -> tuple[Tier, ...]:
    policy = policy or {}
    listed = policy.get("tiers")
    if listed:
        found = [Tier(float(t["hours_before"]), int(t["refund_percent"])) for t in listed]
    else:
        free = float(policy.get("free_until_hours", 24))
        late = 100 - int(policy.get("late_fee_percent", 50))
        found = [Tier(free, 100), Tier(0, late)] if free > 0 else [Tier(0, 100)]
    found.sort(key=lambda t: -t.hours_before)
    return tuple(found)


def shown_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored policy as answers show it: always with its tiers (older rows lack them)."""
    if policy is DEFAULT_POLICY:  # (a copy: each answer and event owns its document)
        return {**_DEFAULT_SHOWN, "tiers": [dict(t) for t in _DEFAULT_SHOWN["tiers"]]}
    return _shown(policy)


def _shown(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    tiers = tiers_of(policy)
    shown = {**document(tiers), **(policy or {})}
    shown["tiers"] = _listed(tiers)
    return shown


# New bookings share DEFAULT_POLICY itself (handlers.domain.booking_create): its tiers and
# shown form, worked out once (the same as for any copy of it: tests/handlers).
_DEFAULT_TIERS = _tiers(DEFAULT_POLICY)
_DEFAULT_SHOWN = _shown(DEFAULT_POLICY)


def refund_percent(tiers: Sequence[Tier], hours_ahead: float) -> int:
    """The share given back `hours_ahead` hours before the start (negative: after it). An
    earlier cancellation never gets less back than a later one, whatever the table says."""
    reached = (min(100, max(0, t.refund_percent)) for t in tiers if hours_ahead >= t.hours_before)
    return max(reached, default=0)


def hours_ahead(start: datetime, now: datetime) -> float:
    return (start - now).total_seconds() / 3600


def split(
    price: int, policy: Mapping[str, Any] | None, hours: float, *, waive: bool = False
) -> tuple[int, int]:
    """(fee, refund) of a price in whole units: the fee is the kept share, rounded; `waive`
    (the practitioner cancels) gives everything back. Never more back than the price."""
    if waive or price <= 0:
        return 0, max(price, 0)
    kept = 100 - refund_percent(tiers_of(policy), hours)
    fee = round(price * kept / 100)
    return fee, price - fee


def free_until_hours(policy: Mapping[str, Any] | None) -> float:
    """How long before the start a cancellation is still free (infinity: never free)."""
    return next((t.hours_before for t in tiers_of(policy) if t.refund_percent >= 100), math.inf)


def price_split(b: Booking | Row[Any], now: datetime, *, waive: bool = False) -> tuple[int, int]:
    """A booking's (fee, refund) if cancelled at `now`, in whole units of its currency."""
    return split(
        b.price_amount, b.cancellation_policy, hours_ahead(b.scheduled_at, now), waive=waive
    )


def refund_if_cancelled_now(b: Booking | Row[Any], now: datetime) -> int | None:
    """What the patient would get back by cancelling now; None once it cannot be cancelled."""
    return price_split(b, now)[1] if b.status in CANCELLABLE else None
