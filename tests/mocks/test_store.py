"""The stateful store behind `kk mock --spec`: CRUD on unrelated specs, nested collections,
filters and pages, persistence to a state file, reset, and concurrent writers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from mocks.store import Store
from tests.engine import FIXTURES, client

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def petstore() -> Any:
    return build(AppConfig("mock", spec=str(FIXTURES / "petstore31" / "openapi.yaml"))).app


@pytest.fixture(scope="module")
def library() -> Any:
    return build(AppConfig("mock", spec=str(FIXTURES / "library30" / "openapi.yaml"))).app


@pytest.fixture(scope="module")
def flagship() -> Any:
    return build(AppConfig("mock")).app


ANY = {"verified": "any"}  # unverified practitioners too (the default lists verified ones)


WHISKERS = {"name": "Whiskers", "status": "available", "species": {"kind": "cat", "indoor": True}}
HOBBIT = {
    "isbn": "9780261102217",
    "title": "The Hobbit",
    "author_id": "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    "genre": "fantasy",
}


async def test_a_pet_is_created_read_listed_updated_and_deleted(petstore: Any) -> None:
    async with client(petstore) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        created = await c.post("/v1/pets", json={**WHISKERS, "owner_id": "own_k2m9x4"})
        assert created.status_code == 201, created.text
        pet = created.json()
        assert pet["name"] == "Whiskers" and pet["id"].startswith("pet_") and pet["created_at"]
        assert created.headers["location"] == f"/v1/pets/{pet['id']}"
        assert (await c.get(f"/v1/pets/{pet['id']}")).json() == pet
        listed = (await c.get("/v1/pets", params={"limit": 5})).json()
        assert listed["data"][0] == pet  # newest first
        assert listed["meta"]["total_count"] == 21 and listed["meta"]["limit"] == 5
        owned = (await c.get("/v1/owners/own_k2m9x4/pets")).json()
        assert [p["id"] for p in owned["data"]] == [pet["id"]]
        updated = await c.patch(f"/v1/pets/{pet['id']}", json={"name": "Sir Whiskers"})
        assert updated.status_code == 200 and updated.json()["name"] == "Sir Whiskers"
        assert updated.json()["species"] == WHISKERS["species"]
        assert (await c.delete(f"/v1/pets/{pet['id']}")).status_code == 204
        gone = await c.get(f"/v1/pets/{pet['id']}")
        assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
        assert (await c.get("/v1/pets", params={"limit": 5})).json()["meta"]["total_count"] == 20


async def test_a_book_keyed_by_its_isbn_goes_through_the_same_lifecycle(library: Any) -> None:
    async with client(library) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        created = await c.post("/v1/books", json=HOBBIT)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == "/v1/books/9780261102217"
        again = await c.post("/v1/books", json=HOBBIT)
        assert again.status_code == 409
        assert (await c.get("/v1/books/9780261102217")).json()["title"] == "The Hobbit"
        page = (await c.get("/v1/books", params={"limit": 50})).json()
        assert page["items"][0]["isbn"] == HOBBIT["isbn"] and page["total"] == 21
        assert page["page"] == 1 and page["per_page"] == 50
        by_author = (await c.get(f"/v1/authors/{HOBBIT['author_id']}/books")).json()
        assert [b["isbn"] for b in by_author] == [HOBBIT["isbn"]]
        replaced = await c.put(
            "/v1/books/9780261102217", json={**HOBBIT, "title": "There and Back"}
        )
        assert replaced.json()["title"] == "There and Back"
        assert (await c.delete("/v1/books/9780261102217")).status_code == 204
        assert (await c.get("/v1/books/9780261102217")).status_code == 404


async def test_nested_creates_are_listed_under_their_parent(library: Any) -> None:
    loan = {
        "isbn": "9780261102385",
        "member_id": "mem_a1b2c3d4",
        "borrowed_on": "2024-02-01",
        "due_on": "2024-02-22",
        "state": {"status": "active", "renewals": 0},
    }
    async with client(library) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        made = await c.post("/v1/members/mem_a1b2c3d4/loans", json=loan)
        assert made.status_code == 201, made.text
        listed = (await c.get("/v1/members/mem_a1b2c3d4/loans")).json()
        assert [x["id"] for x in listed["loans"]] == [made.json()["id"]]
        assert (await c.get("/v1/members/mem_zzzzzzzz/loans")).json()["loans"] == []


async def test_list_filters_follow_x_filter_hints_and_pages_follow_limit_and_offset(
    flagship: Any,
) -> None:
    async with client(flagship) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        # 2 from the spec's examples, 2 from sandbox.yaml, 50 generated (verified or not)
        everyone = (await c.get("/v1/practitioners", params={"limit": 100, **ANY})).json()
        assert everyone["meta"]["total_count"] == 54
        verified = (await c.get("/v1/practitioners", params={"limit": 100})).json()
        assert all(p["attributes"]["verified"] for p in verified["data"])  # the default
        rated = (await c.get("/v1/practitioners", params={"rating_min": 4.5, "limit": 100})).json()
        assert rated["data"] and all(p["attributes"]["rating"] >= 4.5 for p in rated["data"])
        cheap = (await c.get("/v1/practitioners", params={"price_max": 60, "limit": 100})).json()
        assert all(p["attributes"]["price"]["amount"] <= 60 for p in cheap["data"])
        spanish = (await c.get("/v1/practitioners", params={"language": "spanish"})).json()
        assert all("Spanish" in p["attributes"]["languages"] for p in spanish["data"])
        page = (await c.get("/v1/practitioners", params={"limit": 10, "offset": 20, **ANY})).json()
        assert len(page["data"]) == 10
        assert page["meta"] == {"total_count": 54, "page": 3, "per_page": 10, "total_pages": 6}
        assert page["links"]["next"] == (
            "/v1/practitioners?verified=any&sort=relevance&limit=10&offset=30"
        )
        best = (await c.get("/v1/practitioners", params={"sort": "rating", "limit": 100})).json()
        ratings = [p["attributes"]["rating"] for p in best["data"]]
        assert ratings == sorted(ratings, reverse=True)


async def test_state_survives_a_restart_and_reset_restores_the_seed(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    spec = str(FIXTURES / "petstore31" / "openapi.yaml")
    first = build(AppConfig("mock", spec=spec, options={"state": str(state)})).app
    async with client(first) as c:
        pet = (await c.post("/v1/pets", json=WHISKERS)).json()
    assert state.exists() and [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]
    second = build(AppConfig("mock", spec=spec, options={"state": str(state)})).app
    async with client(second) as c:
        assert (await c.get(f"/v1/pets/{pet['id']}")).json() == pet
        assert (await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})).json() == {
            "status": "reset"
        }
        assert (await c.get(f"/v1/pets/{pet['id']}")).status_code == 404
    third = build(AppConfig("mock", spec=spec, options={"state": str(state)})).app
    async with client(third) as c:
        assert (await c.get(f"/v1/pets/{pet['id']}")).status_code == 404


def test_a_state_file_of_another_spec_or_seed_is_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    Store(path, "one").save_now()
    other = Store(path, "two")
    assert not other.restore_file()
    path.write_bytes(b"{not json")
    assert not Store(path, "one").restore_file()


async def test_concurrent_bookings_of_one_slot_give_exactly_one_booking(flagship: Any) -> None:
    body = {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "test_prac_123",
                "scheduled_at": "2024-01-04T09:00:00Z",
                "duration": 60,
                "session_type": "video_call",
            },
        }
    }
    async with client(flagship) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        answers = await asyncio.gather(*(c.post("/v1/bookings", json=body) for _ in range(12)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [409] * 11
        codes = {r.json()["errors"][0]["code"] for r in answers if r.status_code == 409}
        assert codes == {"BOOKING_CONFLICT"}


async def test_illegal_status_moves_are_422_and_legal_ones_publish_their_event(
    flagship: Any,
) -> None:
    async with client(flagship) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        done = await c.put(
            "/v1/bookings/booking_123",
            json={"data": {"type": "booking", "attributes": {"status": "completed"}}},
        )
        error = done.json()["errors"][0]
        assert done.status_code == 422 and error["code"] == "INVALID_BOOKING_STATUS"
        assert error["meta"] == {
            "from": "confirmed",
            "to": "completed",
            "allowed": ["in_progress", "cancelled", "no_show"],
        }
        cancelled = await c.delete("/v1/bookings/booking_123", params={"reason": "Sick"})
        attributes = cancelled.json()["data"]["attributes"]
        assert attributes["status"] == "cancelled"
        assert attributes["cancellation"]["reason"] == "Sick"
        assert attributes["cancellation"]["refund"] == attributes["price"]
        twice = await c.delete("/v1/bookings/booking_123")
        assert twice.status_code == 422
        assert (await c.get("/v1/bookings/booking_123")).json()["data"]["attributes"]["status"] == (
            "cancelled"
        )


async def test_singletons_are_made_once_per_parent_and_updates_merge(flagship: Any) -> None:
    async with client(flagship) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        first = (await c.get("/v1/practitioners/prac_123/availability")).json()
        assert first == (await c.get("/v1/practitioners/prac_123/availability")).json()
        assert (await c.get("/v1/practitioners/prac_nope/availability")).status_code == 404
        changed = await c.put(
            "/v1/users/test_user_123/preferences",
            json={
                "data": {"type": "user_preferences", "attributes": {"notifications": {"sms": True}}}
            },
        )
        notifications = changed.json()["data"]["attributes"]["notifications"]
        assert notifications == {"email": True, "sms": True, "push": True}


def _ids(doc: Any) -> list[str]:
    return [item["id"] for item in doc["data"]]


def reschedule(at: str) -> dict[str, Any]:
    return {"data": {"type": "booking", "attributes": {"scheduled_at": at}}}


def booking(at: str) -> dict[str, Any]:
    attributes = {
        "practitioner_id": "test_prac_123",
        "scheduled_at": at,
        "duration": 60,
        "session_type": "video_call",
    }
    return {"data": {"type": "booking", "attributes": attributes}}


async def test_a_slot_frees_when_its_booking_moves_or_is_cancelled_and_after_a_reset(
    flagship: Any,
) -> None:
    first, second, third = "2031-03-01T09:00:00Z", "2031-03-01T10:00:00Z", "2031-03-01T11:00:00Z"
    async with client(flagship) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        made = await c.post("/v1/bookings", json=booking(first))
        assert made.status_code == 201, made.text
        rid = made.json()["data"]["id"]
        assert (await c.post("/v1/bookings", json=booking(first))).status_code == 409
        moved = await c.put(f"/v1/bookings/{rid}", json=reschedule(second))
        assert moved.status_code == 200, moved.text
        assert (await c.post("/v1/bookings", json=booking(second))).status_code == 409
        other = await c.post("/v1/bookings", json=booking(first))  # the old slot is free
        assert other.status_code == 201, other.text
        clash = await c.put(f"/v1/bookings/{rid}", json=reschedule(first))
        assert clash.status_code == 409 and clash.json()["errors"][0]["code"] == "BOOKING_CONFLICT"
        assert (await c.delete(f"/v1/bookings/{rid}")).status_code in (200, 204)
        assert (await c.post("/v1/bookings", json=booking(second))).status_code == 201
        assert (await c.post("/v1/bookings", json=booking(third))).status_code == 201
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        for at in (first, second, third):
            assert (await c.post("/v1/bookings", json=booking(at))).status_code == 201


async def test_a_slot_booked_before_a_restart_stays_taken(tmp_path: Path) -> None:
    state = str(tmp_path / "sandbox.json")
    at = "2031-04-01T09:00:00Z"
    before = build(AppConfig("mock", options={"state": state})).app
    async with client(before) as c:
        assert (await c.post("/v1/bookings", json=booking(at))).status_code == 201
    after = build(AppConfig("mock", options={"state": state})).app
    async with client(after) as c:
        again = await c.post("/v1/bookings", json=booking(at))
        assert again.status_code == 409 and again.json()["errors"][0]["code"] == "BOOKING_CONFLICT"
