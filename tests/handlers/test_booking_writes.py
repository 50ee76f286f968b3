"""The write path of POST /v1/bookings: a bounded number of statements per booking, and a
burst of concurrent bookings of one practitioner all answered within a bound (they queue on
the practitioner's row lock, each holding a pooled connection: the pool must not starve)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from kkapp.factory import Built
from tests.engine import client
from tests.handlers.people import T0, ready
from tests.handlers.test_bookings import bearer, booking
from tests.handlers.test_users_graphql import statements

pytestmark = pytest.mark.anyio
BURST = 32  # wrk -c32 of bench/run.py, the pool's size (8 + 24 overflow) per engine
BOUND_S = 20.0  # generous on a loaded 2-core machine; the stalled path never answered


def at(hour: int) -> str:
    return (T0 + timedelta(days=2, hours=hour)).isoformat().replace("+00:00", "Z")


async def test_a_burst_of_concurrent_bookings_of_one_practitioner_all_get_an_answer(
    sandbox: Built,
) -> None:
    await ready(sandbox)
    headers = bearer(sandbox, "test_user_123")
    async with client(sandbox.app) as c:
        started = time.monotonic()
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    c.post("/v1/bookings", json=booking(at(i)), headers=headers)
                    for i in range(BURST)
                )
            ),
            BOUND_S,
        )
        took = time.monotonic() - started
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {201, 409}, [r.text for r in answers if r.status_code not in (201, 409)]
    assert codes.count(201) == BURST  # distinct slots: every one is booked
    assert took < BOUND_S


async def test_a_booking_takes_a_fixed_few_statements(sandbox: Built) -> None:
    domain = await ready(sandbox)
    headers = bearer(sandbox, "test_user_123")
    async with client(sandbox.app) as c:
        await c.post("/v1/bookings", json=booking(at(0)), headers=headers)  # warm: plans
        with statements(sandbox, domain) as seen:
            r = await c.post("/v1/bookings", json=booking(at(3)), headers=headers)
    assert r.status_code == 201, r.text
    # (BEGIN on SQLite) the practitioner's row locked, its tags, the overlap check, the
    # booking, audit and outbox inserts; (the generation bump on PostgreSQL); then (BEGIN)
    # the outbox's published mark. 10 before its tags stopped being a `refresh`.
    assert len(seen) <= 9, seen
