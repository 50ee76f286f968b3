"""The practitioner verification process as data: its states, the moves between them, and
who may make each move (a table: role x from-state x to-state, like the bookings' MAY_MOVE).

    unverified --submit--> pending --review--> verified
                              |
                              +----review--> rejected --resubmit--> pending

A caller's roles on a practitioner: `practitioner` (the practitioner, or the practitioner's
user account), `admin` (admin scopes). Anyone else has no role and may do nothing here: a
patient can neither submit credentials for a practitioner nor verify anyone.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.domain.errors import ResourceConflict
from kkcore.errors import InsufficientPermissions, Problem

STATES = ("unverified", "pending", "verified", "rejected")
TRANSITIONS: dict[str, frozenset[str]] = {
    "unverified": frozenset({"pending"}),
    "pending": frozenset({"verified", "rejected"}),
    "rejected": frozenset({"pending"}),
}
# Practitioners submit (and resubmit after a rejection); only an administrator decides, so
# nobody verifies themself. An administrator may also submit on a practitioner's behalf.
MAY_MOVE: dict[str, dict[str, frozenset[str]]] = {
    "practitioner": {
        "unverified": frozenset({"pending"}),
        "rejected": frozenset({"pending"}),
    },
    "admin": TRANSITIONS,
}
ROLES = tuple(MAY_MOVE)
# The decisions an administrator's review may make.
DECISIONS = frozenset({"verified", "rejected"})


def roles_of(
    practitioner_id: str, account: str | None, ids: Iterable[str], admin: bool
) -> frozenset[str]:
    """The caller's roles on a practitioner (`account`: the practitioner's user account)."""
    found = {"admin"} if admin else set()
    if frozenset(ids) & {practitioner_id, account}:
        found.add("practitioner")
    return frozenset(found)


def may_move(roles: Iterable[str], current: str, wanted: str) -> bool:
    return any(wanted in MAY_MOVE.get(role, {}).get(current, ()) for role in roles)


def check_move(current: str, wanted: str, roles: Iterable[str], pointer: str) -> None:
    """403 INSUFFICIENT_PERMISSIONS if none of the roles may make the move (checked first, so
    a caller without a role learns nothing of the state); 409 RESOURCE_CONFLICT if the
    process has no such move from the current state."""
    roles = frozenset(roles)
    if not any(wanted in moves for r in roles for moves in MAY_MOVE.get(r, {}).values()):
        who = [r for r in ROLES if any(wanted in m for m in MAY_MOVE[r].values())]
        raise InsufficientPermissions(
            problems=[
                Problem(
                    f"Only the {' or '.join(who)} may move a practitioner's verification to "
                    f"{wanted}; you are {describe(roles)} of this practitioner",
                    pointer=pointer,
                )
            ]
        )
    if wanted not in TRANSITIONS.get(current, frozenset()):
        allowed = sorted(TRANSITIONS.get(current, ()))
        hint = f"; from {current} it may go to: {', '.join(allowed)}" if allowed else ""
        raise ResourceConflict(
            problems=[
                Problem(
                    f"The verification is {current} and cannot become {wanted}{hint}",
                    pointer=pointer,
                    meta={"verification_status": current},
                )
            ]
        )
    if not may_move(roles, current, wanted):
        raise InsufficientPermissions(
            problems=[
                Problem(
                    f"You are {describe(roles)} of this practitioner and may not move its "
                    f"verification from {current} to {wanted}",
                    pointer=pointer,
                )
            ]
        )


def describe(roles: Iterable[str]) -> str:
    found = sorted(roles)
    return " and ".join(f"the {r}" for r in found) if found else "not the practitioner or an admin"
