"""Finding 19: createBooking ignored `Idempotency-Key`. After a crash between commit and
answer a retry got 409 BOOKING_CONFLICT for the client's own booking, and the same key with
another slot made a second booking. Now it is the payments' rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

import handlers.domain.unit
from handlers.storage.models import Booking
from kkapp.factory import Built
from tests.security.domain.support import PATIENT, client, domain, token

pytestmark = pytest.mark.anyio


class Crash(BaseException):
    """The process dying after the commit, before the answer left."""


def slot(at: str = "2024-01-09T15:00:00Z") -> dict[str, Any]:
    attributes = {
        "practitioner_id": "test_prac_123",
        "scheduled_at": at,
        "duration": 60,
        "session_type": "video_call",
    }
    return {"data": {"type": "booking", "attributes": attributes}}


def keyed(built: Built, key: str) -> dict[str, str]:
    return {**token(built, "patient"), "Idempotency-Key": key}


async def bookings_of_patient(built: Built) -> int:
    query = select(func.count()).select_from(Booking).where(Booking.user_id == PATIENT)
    async with (await domain(built)).db.session() as session:
        return int(await session.scalar(query) or 0)


async def test_a_retry_after_a_crash_replays_the_booking_it_made(
    sandbox: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await bookings_of_patient(sandbox)

    async def die(*_: Any) -> None:
        raise Crash

    async with client(sandbox) as c:
        monkeypatch.setattr(handlers.domain.unit, "publish", die)
        with pytest.raises(Crash):
            await c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b1"))
        monkeypatch.undo()
        assert await bookings_of_patient(sandbox) == before + 1  # committed, never answered
        again = await c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b1"))
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == f"/v1/bookings/{again.json()['data']['id']}"
    assert await bookings_of_patient(sandbox) == before + 1


async def test_the_same_key_and_body_replay_the_first_201(sandbox: Built) -> None:
    async with client(sandbox) as c:
        first = await c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b2"))
        again = await c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b2"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers


async def test_the_same_key_with_another_slot_is_409_and_books_nothing(sandbox: Built) -> None:
    before = await bookings_of_patient(sandbox)
    async with client(sandbox) as c:
        first = await c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b3"))
        other = await c.post(
            "/v1/bookings", json=slot("2024-01-10T15:00:00Z"), headers=keyed(sandbox, "b3")
        )
    assert first.status_code == 201, first.text
    assert other.status_code == 409, other.text
    error = other.json()["errors"][0]
    assert (error["code"], error["source"]["parameter"]) == ("RESOURCE_CONFLICT", "Idempotency-Key")
    assert await bookings_of_patient(sandbox) == before + 1


async def test_concurrent_requests_with_one_key_book_once_and_answer_alike(
    sandbox: Built,
) -> None:
    before = await bookings_of_patient(sandbox)
    async with client(sandbox) as c:
        answers = await asyncio.gather(
            *(c.post("/v1/bookings", json=slot(), headers=keyed(sandbox, "b4")) for _ in range(5))
        )
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers]
    assert len({r.json()["data"]["id"] for r in answers}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in answers) == 1
    assert await bookings_of_patient(sandbox) == before + 1
