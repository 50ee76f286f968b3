"""bench/wrk/post_booking.lua spreads its bookings over the practitioners listed in
bench/wrk/bodies/booking_practitioners.txt: every one of them must take the bench's booking
(a 201, never a 422 that would make the scenario measure refusals)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kkapp.factory import Built
from tests.engine import client
from tests.handlers.people import T0, ready
from tests.handlers.test_bookings import bearer

pytestmark = pytest.mark.anyio
BODIES = Path(__file__).resolve().parents[2] / "bench" / "wrk" / "bodies"


def targets() -> list[tuple[str, str]]:
    lines = (BODIES / "booking_practitioners.txt").read_text().splitlines()
    return [(p, s) for p, s in (line.split() for line in lines if line and line[0] != "#")]


async def test_every_bench_practitioner_takes_the_bench_booking(sandbox: Built) -> None:
    await ready(sandbox)
    template = json.loads((BODIES / "booking_valid.json").read_text())
    headers = bearer(sandbox, "test_user_123")
    found = targets()
    assert len(found) >= 20 and len(set(found)) == len(found)
    async with client(sandbox.app) as c:
        for hour, (practitioner, service) in enumerate(found):
            body = json.loads(json.dumps(template))
            attributes = body["data"]["attributes"]
            attributes["scheduled_at"] = (T0 + timedelta(days=3, hours=hour)).isoformat()
            attributes["practitioner_id"], attributes["service_id"] = practitioner, service
            r = await c.post("/v1/bookings", json=body, headers=headers)
            assert r.status_code == 201, (practitioner, service, r.text)
