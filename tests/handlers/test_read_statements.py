"""The read paths of the directory and a user's bookings run a fixed, small number of SQL
statements per request, however many rows they answer (no query per row: N+1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.storage.models import Booking
from kkapp.factory import Built
from tests.handlers.people import T0, USER, add, bearer, client, ready
from tests.handlers.test_users_graphql import statements

pytestmark = pytest.mark.anyio
SCOPES = ["read:practitioners", "read:bookings"]


async def counted(app: Built, path: str, kept: bool = False) -> tuple[int, dict[str, Any]]:
    """The statements of the read path itself (kept answers off, unless `kept`)."""
    domain = await ready(app)
    app.runtime.extras["answers"].enabled = kept
    async with client(app) as c:
        await c.get(path, headers=bearer(app, scopes=SCOPES))  # warm: identity, plans
        with statements(app, domain) as seen:
            r = await c.get(path, headers=bearer(app, scopes=SCOPES))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return len(seen), body


async def test_a_page_of_the_directory_takes_the_same_few_statements_at_any_size(
    sandbox: Built,
) -> None:
    few, small = await counted(sandbox, "/v1/practitioners?limit=2")
    many, large = await counted(sandbox, "/v1/practitioners?limit=20")
    assert (len(small["data"]), len(large["data"])) == (2, 20)
    # (BEGIN on SQLite), the page with the count, its tags, services and schedules, its bookings
    assert many == few <= 4


async def test_a_page_past_the_last_still_counts_the_matches(sandbox: Built) -> None:
    _, first = await counted(sandbox, "/v1/practitioners?limit=20")
    total = first["meta"]["total_count"]
    assert total > 20
    _, past = await counted(sandbox, f"/v1/practitioners?limit=20&offset={total + 20}")
    assert past["data"] == []
    assert past["meta"]["total_count"] == total


async def test_one_practitioner_takes_a_few_statements(sandbox: Built) -> None:
    seen, body = await counted(sandbox, "/v1/practitioners/prac_123")
    assert body["data"]["attributes"]["services"]
    assert seen <= 4  # (BEGIN on SQLite), the row, tags + services + schedule, bookings


def booking(n: int) -> Booking:
    at = T0 + timedelta(days=30 + n)
    return Booking(
        id=f"booking_stmt{n:03d}",
        user_id=USER,
        practitioner_id="prac_123",
        scheduled_at=at,
        ends_at=at + timedelta(hours=1),
        duration=60,
        session_type="video_call",
        status="confirmed",
        price_amount=50,
        price_currency="USD",
        created_at=T0,
        updated_at=T0,
    )


async def test_a_users_bookings_take_the_same_few_statements_however_many_there_are(
    sandbox: Built,
) -> None:
    await add(sandbox, *(booking(n) for n in range(2)))
    few, small = await counted(sandbox, f"/v1/users/{USER}/bookings?limit=50")
    await add(sandbox, *(booking(n) for n in range(2, 14)))
    many, large = await counted(sandbox, f"/v1/users/{USER}/bookings?limit=50")
    assert len(large["data"]) == len(small["data"]) + 12
    assert many == few <= 4  # (BEGIN on SQLite), counts, a page of ids, the rows


async def test_a_repeated_read_is_answered_without_a_statement_until_a_write(
    sandbox: Built,
) -> None:
    path = f"/v1/users/{USER}/bookings?limit=50"
    seen, before = await counted(sandbox, path, kept=True)
    assert seen <= 1  # the write generation (a sequence on PostgreSQL without Redis)
    await add(sandbox, booking(99))
    _, after = await counted(sandbox, path, kept=True)
    assert before["meta"]["total_count"] + 1 == after["meta"]["total_count"]
