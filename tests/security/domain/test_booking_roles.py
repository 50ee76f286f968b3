"""Finding 3: a patient drove their booking's lifecycle (confirmed, in_progress, completed,
no_show: 200 each, with booking.confirmed/completed events). Who may move a booking is a
table (handlers.domain.transitions.MAY_MOVE); this walks all of it, role by transition, on
REST PUT /v1/bookings/{id} and GraphQL updateBooking alike, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.domain import transitions
from handlers.domain.transitions import TRANSITIONS
from kkapp.factory import Built
from tests.security.domain.support import booking, client, event_count, row, token

pytestmark = pytest.mark.anyio
ROLES = ("patient", "practitioner", "admin")
TABLE = [
    (role, current, wanted)
    for role in ROLES
    for current, targets in TRANSITIONS.items()
    for wanted in sorted(targets)
]
# The reference: practitioners confirm, start, complete and record no-shows; patients cancel.
EXPECTED = {
    ("patient", "pending", "cancelled"),
    ("patient", "confirmed", "cancelled"),
    *((r, c, w) for r in ("practitioner", "admin") for c, t in TRANSITIONS.items() for w in t),
}
UPDATE = """mutation($input: UpdateBookingInput!) { updateBooking(input: $input) {
    booking { id status } errors { field message code } } }"""


def test_the_role_table_is_the_references_rule() -> None:
    table = transitions.MAY_MOVE
    allowed = {(r, c, w) for r, c, w in TABLE if w in table[r].get(c, ())}
    assert allowed == EXPECTED


async def move(built: Built, api: str, role: str, bid: str, wanted: str) -> tuple[bool, str]:
    """(whether the move was made, the refusal's code) through REST or GraphQL."""
    async with client(built) as c:
        if api == "rest":
            body = {"data": {"type": "booking", "attributes": {"status": wanted}}}
            r = await c.put(f"/v1/bookings/{bid}", json=body, headers=token(built, role))
            if r.status_code == 200:
                return True, ""
            error = r.json()["errors"][0]
            assert (r.status_code, error["source"]["pointer"]) == (403, "/data/attributes/status")
            return False, str(error["code"])
        variables: dict[str, Any] = {"input": {"bookingId": bid, "status": wanted.upper()}}
        r = await c.post(
            "/graphql", json={"query": UPDATE, "variables": variables}, headers=token(built, role)
        )
        done = r.json()["data"]["updateBooking"]
        if done["booking"] is not None:
            return True, ""
        return False, str(done["errors"][0]["code"])


@pytest.mark.parametrize("api", ["rest", "graphql"])
async def test_every_role_makes_exactly_the_transitions_of_the_table(
    sandbox: Built, api: str
) -> None:
    for role, current, wanted in TABLE:
        bid = await booking(sandbox, current)
        events = await event_count(sandbox)
        made, code = await move(sandbox, api, role, bid, wanted)
        case = (api, role, current, wanted)
        assert made == ((role, current, wanted) in EXPECTED), case
        status = (await row(sandbox, bid)).status
        if made:
            assert status == wanted, case
            assert await event_count(sandbox) > events, case
        else:
            assert code == "INSUFFICIENT_PERMISSIONS", case
            assert status == current, case  # nothing written
            assert await event_count(sandbox) == events, case  # no event


async def test_a_refusal_says_who_may(sandbox: Built) -> None:
    bid = await booking(sandbox, "pending")
    body = {"data": {"type": "booking", "attributes": {"status": "confirmed"}}}
    async with client(sandbox) as c:
        r = await c.put(f"/v1/bookings/{bid}", json=body, headers=token(sandbox, "patient"))
    detail = r.json()["errors"][0]["detail"]
    assert "practitioner or admin" in detail and "you are the patient" in detail


async def test_a_move_the_lifecycle_lacks_stays_422_for_everyone(sandbox: Built) -> None:
    bid = await booking(sandbox, "pending")
    body = {"data": {"type": "booking", "attributes": {"status": "completed"}}}
    async with client(sandbox) as c:
        for role in ROLES:
            r = await c.put(f"/v1/bookings/{bid}", json=body, headers=token(sandbox, role))
            assert r.status_code == 422, (role, r.text)
            assert r.json()["errors"][0]["code"] == "INVALID_BOOKING_STATUS"


@pytest.mark.parametrize(
    ("role", "hours_ahead", "allowed"),
    [
        ("patient", 48, True),
        ("patient", 10, False),  # the free window has closed: a move would waive the fee
        ("practitioner", 10, True),
        ("admin", 10, True),
    ],
)
async def test_a_patient_reschedules_only_while_cancelling_is_free(
    sandbox: Built, role: str, hours_ahead: float, allowed: bool
) -> None:
    bid = await booking(sandbox, "confirmed", hours_ahead=hours_ahead)
    body = {"data": {"type": "booking", "attributes": {"scheduled_at": "2024-03-01T10:00:00Z"}}}
    async with client(sandbox) as c:
        r = await c.put(f"/v1/bookings/{bid}", json=body, headers=token(sandbox, role))
    assert (r.status_code == 200) == allowed, r.text
    if not allowed:
        error = r.json()["errors"][0]
        assert (r.status_code, error["code"]) == (403, "INSUFFICIENT_PERMISSIONS")
        assert error["source"]["pointer"] == "/data/attributes/scheduled_at"
        assert (await row(sandbox, bid)).scheduled_at.month == 1
