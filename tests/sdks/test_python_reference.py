"""The reference's Python SDK snippet, as printed, against a live sandbox.

The snippet is read from the reference at test time and run with exec; the only changes are
the sandbox's API key for 'your_api_key' and `base_url` next to `environment`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sdks.conftest import Sandbox
from tests.sdks.snippets import python_adapted


def test_the_reference_python_snippet_runs_as_printed(fresh_sandbox: Sandbox) -> None:
    namespace: dict[str, Any] = {}
    exec(python_adapted(fresh_sandbox.api_key, fresh_sandbox.url), namespace)  # noqa: S102
    namespace["client"].close()
    practitioners, booking = namespace["practitioners"], namespace["booking"]

    # the reference's own example practitioner is found; the order is the directory's relevance
    assert "prac_123" in [p["id"] for p in practitioners]
    for p in practitioners:
        assert p["type"] == "practitioner"
        assert any("yoga" in s.lower() for s in p["attributes"]["specializations"])
        assert "new york" in p["attributes"]["location"]["city"].lower()
    assert practitioners.meta["total_count"] == len(practitioners)

    assert booking["type"] == "booking" and booking["id"].startswith("booking_")
    attributes = booking["attributes"]
    assert attributes["scheduled_at"] == "2024-01-01T10:00:00Z"
    assert (attributes["duration"], attributes["session_type"]) == (60, "video_call")
    assert (attributes["status"], attributes["user_id"]) == ("pending", "test_user_123")


@pytest.mark.anyio
async def test_the_async_client_makes_the_same_calls(fresh_sandbox: Sandbox) -> None:
    from klearkarma import AsyncKlearKarmaClient

    async with AsyncKlearKarmaClient(
        api_key=fresh_sandbox.api_key, environment="production", base_url=fresh_sandbox.url
    ) as client:
        practitioners = await client.practitioners.search(
            specialization="yoga", location="New York"
        )
        booking = await client.bookings.create(
            practitioner_id="prac_123",
            scheduled_at="2024-01-01T10:00:00Z",
            duration=60,
            session_type="video_call",
        )
        again = await client.bookings.get(booking["id"])
    assert "prac_123" in [p["id"] for p in practitioners]
    assert again["id"] == booking["id"] and again["attributes"]["status"] == "pending"
