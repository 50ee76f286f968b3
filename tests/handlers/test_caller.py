"""One caller type for every service: built once (`Caller.of`) for REST, GraphQL and /ws,
with the same admin bypass everywhere (REST's builder once dropped `admin` while GraphQL's
kept it), and the bypass scopes the spec's `x-owner` rules name."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generated.api_table import TABLE
from handlers.domain.caller import ADMIN_SCOPES, Caller
from kkapp.factory import Built
from kkcore.errors import AuthenticationRequired
from server.auth.services import auth_of
from server.identity import Identity
from tests.engine import client

SCOPES = ["read:bookings", "write:bookings", "read:practitioners"]
ADMIN, STRANGER = "user_admin1", "user_stranger1"
SLOT = {
    "practitioner_id": "test_prac_123",
    "duration": 60,
    "session_type": "video_call",
}
CONFIRM = """mutation($input: UpdateBookingInput!) { updateBooking(input: $input) {
    booking { id status } errors { field message code } } }"""
READ = "query($id: ID!) { booking(id: $id) { id status } }"


def test_the_admin_scopes_are_the_bypass_of_every_x_owner_rule_in_the_spec() -> None:
    bypasses = [
        frozenset(op["extensions"]["x-owner"].get("bypass") or ())
        for op in TABLE["operations"].values()
        if "x-owner" in op["extensions"]
    ]
    assert bypasses and all(b <= ADMIN_SCOPES for b in bypasses)
    assert frozenset().union(*bypasses) == ADMIN_SCOPES


@given(
    scopes=st.frozensets(st.sampled_from([*ADMIN_SCOPES, "read:bookings", "write:profile"])),
    practitioner=st.sampled_from([None, "prac_1"]),
)
def test_a_caller_is_admin_exactly_when_it_holds_a_bypass_scope(
    scopes: frozenset[str], practitioner: str | None
) -> None:
    claims = {"practitioner_id": practitioner} if practitioner else {}
    identity = Identity("user_1", scopes, claims=claims)
    caller = Caller.of(identity, "req_1")
    assert caller.admin == bool(scopes & ADMIN_SCOPES)
    assert caller.ids == {"user_1"} | ({practitioner} if practitioner else set())
    assert caller.may_act_for("user_other") == caller.admin
    assert (caller.subject, caller.request_id) == ("user_1", "req_1")


def test_no_identity_is_no_caller() -> None:
    with pytest.raises(AuthenticationRequired):
        Caller.of(None)


def bearer(built: Built, subject: str, *more: str) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, [*SCOPES, *more])
    return {"Authorization": f"Bearer {token}"}


async def booked(built: Built, at: str) -> str:
    """A booking of test_user_123 (pending: only its practitioner or an admin confirms it)."""
    async with client(built.app) as c:
        r = await c.post(
            "/v1/bookings",
            json={"data": {"type": "booking", "attributes": SLOT | {"scheduled_at": at}}},
            headers=bearer(built, "test_user_123"),
        )
    assert r.status_code == 201, r.text
    found: str = r.json()["data"]["id"]
    return found


async def confirm_rest(built: Built, bid: str, headers: dict[str, str]) -> Any:
    body = {"data": {"type": "booking", "attributes": {"status": "confirmed"}}}
    async with client(built.app) as c:
        return await c.put(f"/v1/bookings/{bid}", json=body, headers=headers)


async def graphql(built: Built, query: str, headers: dict[str, str], **variables: Any) -> Any:
    async with client(built.app) as c:
        r = await c.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.anyio
async def test_an_admin_confirms_anyones_booking_over_rest_and_graphql_a_stranger_does_not(
    sandbox: Built,
) -> None:
    admin = bearer(sandbox, ADMIN, "admin:users")
    stranger = bearer(sandbox, STRANGER)
    by_rest = await booked(sandbox, "2024-01-03T15:00:00Z")
    by_graphql = await booked(sandbox, "2024-01-04T15:00:00Z")

    assert (await confirm_rest(sandbox, by_rest, stranger)).status_code == 404
    r = await confirm_rest(sandbox, by_rest, admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["status"] == "confirmed"

    assert (await graphql(sandbox, READ, stranger, id=by_graphql))["booking"] is None
    done = await graphql(
        sandbox, CONFIRM, admin, input={"bookingId": by_graphql, "status": "CONFIRMED"}
    )
    assert done["updateBooking"]["errors"] == [], done
    assert done["updateBooking"]["booking"]["status"] == "CONFIRMED"
