from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete, select, text

from handlers.domain.booking_create import OVERLAP_GUARD
from handlers.domain.context import domain_of
from handlers.storage.models import OutboxEvent, PractitionerTag
from handlers.storage.models.practitioners import SESSION_TYPE
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client

pytestmark = pytest.mark.anyio
SCOPES = ["read:bookings", "write:bookings", "read:practitioners"]
# The sandbox clock of these tests: 2024-01-01T00:00:00Z (see the `sandbox` fixture).


def bearer(built: Built, subject: str, **claims: Any) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, SCOPES, **claims)
    return {"Authorization": f"Bearer {token}"}


def booking(at: str = "2024-01-02T15:00:00Z", **attrs: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "test_prac_123",
                "scheduled_at": at,
                "duration": 60,
                "session_type": "video_call",
                **attrs,
            },
        }
    }


@pytest.fixture
def built(sandbox: Built) -> Built:
    return sandbox


async def create(built: Built, body: dict[str, Any], subject: str = "test_user_123") -> Any:
    async with client(built.app) as c:
        return await c.post("/v1/bookings", json=body, headers=bearer(built, subject))


async def test_a_booking_is_created_pending_with_the_services_price(built: Built) -> None:
    r = await create(built, booking(service_id="service_test123"))
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert r.headers["location"] == f"/v1/bookings/{data['id']}"
    a = data["attributes"]
    assert (a["status"], a["payment_status"], a["price"]) == (
        "pending",
        "pending",
        {"amount": 50, "currency": "USD"},
    )
    assert (a["user_id"], a["practitioner_id"]) == ("test_user_123", "test_prac_123")
    domain = domain_of(built.runtime.extras)
    async with domain.db.session() as session:
        types = set(await session.scalars(select(OutboxEvent.type)))
    assert "booking.created" in types


async def test_two_concurrent_bookings_of_one_slot_give_one_201_and_one_409(built: Built) -> None:
    async with client(built.app) as c:
        first, second = await asyncio.gather(
            c.post("/v1/bookings", json=booking(), headers=bearer(built, "user_a1")),
            c.post("/v1/bookings", json=booking(), headers=bearer(built, "user_b1")),
        )
    assert sorted((first.status_code, second.status_code)) == [201, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["errors"][0]["code"] == "BOOKING_CONFLICT"


async def concurrently(built: Built, starts: list[str], users: str) -> list[int]:
    """The sorted statuses of bookings at `starts`, sent at once, each by a user of its own."""
    async with client(built.app) as c:
        answers = await asyncio.gather(
            *(
                c.post("/v1/bookings", json=booking(at), headers=bearer(built, f"{users}{i}"))
                for i, at in enumerate(starts)
            )
        )
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {201, 409}, [r.text for r in answers]
    return codes


async def test_many_concurrent_bookings_of_overlapping_slots_let_exactly_one_through(
    built: Built,
) -> None:
    starts = ["2024-01-03T15:00:00Z", "2024-01-03T15:30:00Z", "2024-01-03T14:45:00Z"] * 2
    assert await concurrently(built, starts, "user_c") == [201] + [409] * 5


async def test_without_the_exclusion_constraint_the_lock_lets_exactly_one_overlap_through(
    built: Built,
) -> None:
    # PostgreSQL where btree_gist could not be created (migration 0008): the practitioner's
    # advisory lock in the plan, the overlap checked by the insert (SQLite: its writer's lock).
    domain = await domain_of(built.runtime.extras).ready()
    if domain.db.dialect == "postgresql":
        async with domain.db.transaction() as session:
            await session.execute(text(f"ALTER TABLE bookings DROP CONSTRAINT {OVERLAP_GUARD}"))
    assert not await domain.db.has_constraint(OVERLAP_GUARD)
    starts = ["2024-01-04T15:00:00Z", "2024-01-04T15:30:00Z", "2024-01-04T14:45:00Z"] * 3
    assert await concurrently(built, starts, "user_d") == [201] + [409] * 8


async def test_a_session_type_the_practitioner_does_not_offer_is_unavailable(built: Built) -> None:
    r = await create(built, booking(service_id="service_test124", session_type="chat"))
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "PRACTITIONER_UNAVAILABLE"


async def test_without_a_service_the_practitioners_own_session_types_decide(built: Built) -> None:
    domain = domain_of(built.runtime.extras)
    await domain.ready()
    async with domain.db.transaction() as session:  # test_prac_123 stops offering chat
        await session.execute(
            delete(PractitionerTag).where(
                PractitionerTag.practitioner_id == "test_prac_123",
                PractitionerTag.kind == SESSION_TYPE,
                PractitionerTag.value == "chat",
            )
        )
    refused = await create(built, booking(session_type="chat"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["code"] == "PRACTITIONER_UNAVAILABLE"
    assert refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/session_type"
    for hour, offered in enumerate(("video_call", "phone_call", "in_person")):
        r = await create(built, booking(f"2024-01-0{hour + 3}T15:00:00Z", session_type=offered))
        assert r.status_code == 201, r.text


async def test_an_unknown_practitioner_is_unprocessable(built: Built) -> None:
    r = await create(built, booking(practitioner_id="prac_nobody"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"]["pointer"] == "/data/attributes/practitioner_id"


async def test_only_the_user_and_the_practitioner_see_a_booking(built: Built) -> None:
    bid = (await create(built, booking())).json()["data"]["id"]
    async with client(built.app) as c:
        mine = await c.get(f"/v1/bookings/{bid}", headers=bearer(built, "test_user_123"))
        theirs = await c.get(
            f"/v1/bookings/{bid}",
            headers=bearer(built, "test_prac_123", practitioner_id="test_prac_123"),
        )
        other = await c.get(f"/v1/bookings/{bid}", headers=bearer(built, "user_other"))
        cancel = await c.delete(f"/v1/bookings/{bid}", headers=bearer(built, "user_other"))
    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert (other.status_code, cancel.status_code) == (404, 404)


async def put_status(built: Built, bid: str, status: str) -> Any:
    """The practitioner moves the booking (patients only cancel: tests/security)."""
    body = {"data": {"type": "booking", "attributes": {"status": status}}}
    headers = bearer(built, "test_prac_123", practitioner_id="test_prac_123")
    async with client(built.app) as c:
        return await c.put(f"/v1/bookings/{bid}", json=body, headers=headers)


async def test_the_lifecycle_allows_only_the_specs_transitions(built: Built) -> None:
    bid = (await create(built, booking())).json()["data"]["id"]
    bad = await put_status(built, bid, "completed")
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "INVALID_BOOKING_STATUS"
    for status in ("confirmed", "in_progress", "completed"):
        r = await put_status(built, bid, status)
        assert r.status_code == 200 and r.json()["data"]["attributes"]["status"] == status
    assert (await put_status(built, bid, "cancelled")).status_code == 422


async def test_rescheduling_onto_a_taken_slot_is_a_conflict(built: Built) -> None:
    await create(built, booking("2024-01-04T15:00:00Z"))
    bid = (await create(built, booking("2024-01-04T17:00:00Z"))).json()["data"]["id"]
    body = {"data": {"type": "booking", "attributes": {"scheduled_at": "2024-01-04T15:30:00Z"}}}
    async with client(built.app) as c:
        r = await c.put(f"/v1/bookings/{bid}", json=body, headers=bearer(built, "test_user_123"))
        ok = await c.put(
            f"/v1/bookings/{bid}",
            json={
                "data": {"type": "booking", "attributes": {"scheduled_at": "2024-01-04T18:00:00Z"}}
            },
            headers=bearer(built, "test_user_123"),
        )
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "BOOKING_CONFLICT"
    assert ok.status_code == 200


async def cancel(built: Built, bid: str, subject: str = "test_user_123", **claims: Any) -> Any:
    async with client(built.app) as c:
        return await c.delete(
            f"/v1/bookings/{bid}",
            params={"reason": "Schedule conflict"},
            headers=bearer(built, subject, **claims),
        )


async def test_cancelling_early_is_free_and_late_keeps_half(built: Built) -> None:
    early = (await create(built, booking("2024-01-05T15:00:00Z"))).json()["data"]["id"]
    late = (await create(built, booking("2024-01-01T10:00:00Z"))).json()["data"]["id"]
    free = (await cancel(built, early)).json()["data"]["attributes"]["cancellation"]
    kept = (await cancel(built, late)).json()["data"]["attributes"]["cancellation"]
    assert (free["fee"]["amount"], free["refund"]["amount"]) == (0, 50)
    assert (kept["fee"]["amount"], kept["refund"]["amount"]) == (25, 25)
    assert kept["reason"] == "Schedule conflict" and kept["cancelled_by"] == "test_user_123"


async def test_a_practitioner_cancelling_late_waives_the_fee(built: Built) -> None:
    bid = (await create(built, booking("2024-01-01T10:00:00Z"))).json()["data"]["id"]
    r = await cancel(built, bid, "test_prac_123", practitioner_id="test_prac_123")
    assert r.json()["data"]["attributes"]["cancellation"]["fee"]["amount"] == 0


async def test_a_cancelled_booking_cannot_be_cancelled_again_and_frees_its_slot(
    built: Built,
) -> None:
    bid = (await create(built, booking("2024-01-08T15:00:00Z"))).json()["data"]["id"]
    assert (await cancel(built, bid)).status_code == 200
    again = await cancel(built, bid)
    assert (
        again.status_code == 422 and again.json()["errors"][0]["code"] == "INVALID_BOOKING_STATUS"
    )
    assert (await create(built, booking("2024-01-08T15:00:00Z"))).status_code == 201
