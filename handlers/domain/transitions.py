"""The booking lifecycle (the spec's BookingStatus and its `x-mock-transitions`), who may
move a booking along it (a table: role x from-status x to-status). What a cancellation
costs is handlers.domain.cancellation_policy.

A caller's roles on a booking: `patient` (its user), `practitioner` (its practitioner or
the practitioner's account), `admin` (admin scopes). A caller with several roles may do
what any of them may.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.domain.errors import InvalidBookingStatus
from handlers.storage.models import Booking
from kkcore.errors import InsufficientPermissions, Problem

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"in_progress", "cancelled", "no_show"}),
    "in_progress": frozenset({"completed"}),
}
# Who may make each transition. Practitioners run the session (the reference:
# "booking.confirmed - Booking confirmed by practitioner"); patients may only cancel, and
# their money comes back by the cancellation policy; administrators may do anything.
MAY_MOVE: dict[str, dict[str, frozenset[str]]] = {
    "patient": {
        "pending": frozenset({"cancelled"}),
        "confirmed": frozenset({"cancelled"}),
    },
    "practitioner": TRANSITIONS,
    "admin": TRANSITIONS,
}
ROLES = tuple(MAY_MOVE)
# Statuses in which a booking may still be rescheduled.
ACTIVE_FOR_CHANGES = frozenset({"pending", "confirmed"})


def roles_of(b: Booking, ids: Iterable[str], admin: bool, account: str | None) -> frozenset[str]:
    """The caller's roles on a booking (`account`: the practitioner's user account)."""
    ids = frozenset(ids)
    found = {"admin"} if admin else set()
    if b.user_id in ids:
        found.add("patient")
    if ids & {b.practitioner_id, account}:
        found.add("practitioner")
    return frozenset(found)


def may_move(roles: Iterable[str], current: str, wanted: str) -> bool:
    return any(wanted in MAY_MOVE.get(role, {}).get(current, ()) for role in roles)


def check_transition(current: str, wanted: str, roles: Iterable[str] | None = None) -> None:
    """422 INVALID_BOOKING_STATUS if the lifecycle has no such move; with `roles`, 403
    INSUFFICIENT_PERMISSIONS if none of them may make it."""
    if wanted not in TRANSITIONS.get(current, frozenset()):
        allowed = sorted(TRANSITIONS.get(current, ()))
        hint = f"; allowed: {', '.join(allowed)}" if allowed else f" ({current} is final)"
        raise InvalidBookingStatus(f"A booking cannot go from {current} to {wanted}{hint}")
    if roles is not None and not may_move(roles, current, wanted):
        who = [r for r in ROLES if wanted in MAY_MOVE[r].get(current, ())]
        raise InsufficientPermissions(
            problems=[
                Problem(
                    f"Only the {' or '.join(who)} may move a booking from {current} to "
                    f"{wanted}; you are {describe(roles)} of this booking",
                    pointer="/data/attributes/status",
                )
            ]
        )


def describe(roles: Iterable[str]) -> str:
    found = sorted(roles)
    return " and ".join(f"the {r}" for r in found) if found else "not a party"
