from __future__ import annotations

import functools
from typing import Any

import pytest

from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client
from tests.handlers.conftest import sandbox_app

pytestmark = pytest.mark.anyio


@functools.cache
def sandbox() -> Built:
    """The sandbox the module's tests share, built on first use rather than at import (every
    pytest-xdist worker imports every module, whether it runs these tests or not)."""
    return sandbox_app(now="2024-01-01T00:00:00Z")


@pytest.fixture(autouse=True, scope="module")
def built_outside_an_event_loop() -> None:
    """Built by a sync fixture, as at import before: built inside an async test, parts of the
    app would belong to that test's event loop and fail the TestClient tests after it."""
    sandbox()


def auth() -> dict[str, str]:
    token = auth_of(sandbox().runtime.extras).issue_token(
        "test_user_123", ["read:practitioners", "write:bookings", "read:bookings"]
    )
    return {"Authorization": f"Bearer {token}"}


async def get(path: str, built: Built | None = None, **params: Any) -> Any:
    built = built or sandbox()
    token = auth_of(built.runtime.extras).issue_token("test_user_123", ["read:practitioners"])
    async with client(built.app) as c:
        r = await c.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


async def test_search_answers_the_seeded_directory_with_list_meta_and_links() -> None:
    body = await get("/v1/practitioners", limit=5)
    assert len(body["data"]) == 5
    assert body["meta"]["total_count"] >= 52  # 50 generated, the test and the example ones
    assert body["meta"]["per_page"] == 5 and body["links"]["prev"] is None
    assert body["links"]["next"].endswith("limit=5&offset=5")


async def test_every_filter_of_the_spec_narrows_the_search() -> None:
    checks = {
        "specialization": (
            "yoga",
            lambda a: any("yoga" in s.lower() for s in a["specializations"]),
        ),
        "location": ("new york", lambda a: a["location"]["city"] == "New York"),
        "rating_min": (4.5, lambda a: a["rating"] >= 4.5),
        "price_max": (60, lambda a: a["price"]["amount"] <= 60),
        "language": ("spanish", lambda a: "Spanish" in a["languages"]),
        "session_type": ("chat", lambda a: "chat" in a["session_types"]),
    }
    everyone = (await get("/v1/practitioners", limit=100))["meta"]["total_count"]
    for name, (value, holds) in checks.items():
        body = await get("/v1/practitioners", limit=100, **{name: value})
        assert 0 < body["meta"]["total_count"] < everyone, name
        assert all(holds(p["attributes"]) for p in body["data"]), name


@pytest.mark.parametrize(
    "sort", ["relevance", "rating", "price_asc", "price_desc", "total_sessions", "next_available"]
)
async def test_pages_of_a_sort_add_up_to_the_whole_list_in_order(sort: str) -> None:
    whole = [p["id"] for p in (await get("/v1/practitioners", limit=100, sort=sort))["data"]]
    pages: list[str] = []
    for offset in range(0, len(whole), 7):
        pages += [
            p["id"]
            for p in (await get("/v1/practitioners", limit=7, offset=offset, sort=sort))["data"]
        ]
    assert pages == whole and len(set(whole)) == len(whole)


async def test_price_sort_is_ordered_by_price_then_id() -> None:
    data = (await get("/v1/practitioners", limit=100, sort="price_asc"))["data"]
    keys = [(p["attributes"]["price"]["amount"], p["id"]) for p in data]
    assert keys == sorted(keys)


async def test_availability_filters_keep_practitioners_free_in_the_window() -> None:
    body = await get(
        "/v1/practitioners",
        limit=100,
        available_from="2024-01-06T02:00:00Z",
        available_to="2024-01-07T21:00:00Z",
    )  # a weekend in every timezone of the seed: nobody works Monday-Friday then
    assert body["meta"]["total_count"] == 0
    body = await get("/v1/practitioners", limit=100, available_from="2024-01-02T00:00:00Z")
    assert body["meta"]["total_count"] > 0
    assert all(p["attributes"]["next_available_at"] >= "2024-01-02" for p in body["data"])


async def test_a_practitioner_is_read_with_services_and_next_free_slot() -> None:
    a = (await get("/v1/practitioners/prac_123"))["data"]["attributes"]
    assert (a["first_name"], a["services"][0]["id"]) == ("Jane", "service_123")
    assert a["next_available_at"] == "2024-01-01T14:00:00Z"  # 09:00 in New York


async def test_an_unknown_practitioner_is_404() -> None:
    async with client(sandbox().app) as c:
        r = await c.get("/v1/practitioners/prac_nobody", headers=auth())
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"


async def test_availability_follows_the_local_schedule_across_a_dst_change() -> None:
    winter = await get(
        "/v1/practitioners/test_prac_123/availability", **{"from": "2024-03-08", "to": "2024-03-08"}
    )
    summer = await get(
        "/v1/practitioners/test_prac_123/availability", **{"from": "2024-03-11", "to": "2024-03-11"}
    )
    assert winter["data"]["attributes"]["timezone"] == "America/New_York"
    assert winter["data"]["attributes"]["slots"][0]["start_time"] == "2024-03-08T14:00:00Z"
    assert summer["data"]["attributes"]["slots"][0]["start_time"] == "2024-03-11T13:00:00Z"
    assert len(summer["data"]["attributes"]["slots"]) == 8


async def test_a_booked_slot_is_unavailable() -> None:
    built = sandbox_app(now="2024-01-01T00:00:00Z")
    booking = {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "test_prac_123",
                "scheduled_at": "2024-01-02T15:00:00Z",
                "duration": 60,
                "session_type": "video_call",
            },
        }
    }
    token = auth_of(built.runtime.extras).issue_token("test_user_123", ["write:bookings"])
    async with client(built.app) as c:
        r = await c.post("/v1/bookings", json=booking, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
    body = await get(
        "/v1/practitioners/test_prac_123/availability",
        built,
        **{"from": "2024-01-02", "to": "2024-01-02"},
    )
    taken = {s["start_time"] for s in body["data"]["attributes"]["slots"] if not s["available"]}
    assert taken == {"2024-01-02T15:00:00Z"}


async def test_an_availability_range_over_31_days_is_answered_for_its_first_31_days() -> None:
    async with client(sandbox().app) as c:
        r = await c.get(
            "/v1/practitioners/test_prac_123/availability",
            params={"from": "2024-01-01", "to": "2024-03-01"},
            headers=auth(),
        )
        past = await c.get(
            "/v1/practitioners/test_prac_123/availability",
            params={"to": "2023-06-01"},  # `from` defaults to today (2024-01-01)
            headers=auth(),
        )
    assert r.status_code == 200, r.text
    starts = [s["start_time"] for s in r.json()["data"]["attributes"]["slots"]]
    assert starts and min(starts) >= "2024-01-01" and max(starts) < "2024-02-03"
    assert past.status_code == 200 and past.json()["data"]["attributes"]["slots"] == []
