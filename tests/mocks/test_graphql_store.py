"""GraphQL answers from the same store as REST: same objects, stable cursors, mutations that
write through REST's mocks."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from mocks.graphql_nodes import cursor, uncursor
from tests.engine import client

pytestmark = pytest.mark.anyio


@functools.cache
def flagship() -> Any:
    """The mock app the module's tests share, built on first use rather than at import (every
    pytest-xdist worker imports every module, whether it runs these tests or not)."""
    return build(AppConfig("mock")).app


PRACTITIONER = """
query($id: ID!) {
  practitioner(id: $id) {
    id bio rating totalSessions verified sessionTypes languages
    pricing { basePrice currency }
    user { firstName lastName email }
    services { id name duration price { amount currency } }
    specializations { name }
    availability { id timezone slots { startTime available price { amount } } }
    reviews(first: 2) { edges { node { rating } } }
  }
}"""
PAGE = """
query($after: String) {
  practitioners(first: 5, after: $after) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def gql(query: str, **variables: Any) -> dict[str, Any]:
    async with client(flagship()) as c:
        r = await c.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = r.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_practitioner_is_the_same_object_in_graphql_and_rest() -> None:
    async with client(flagship()) as c:
        await c.post("/__sandbox/reset")
        rest = (await c.get("/v1/practitioners/test_prac_123")).json()["data"]["attributes"]
        slots = (await c.get("/v1/practitioners/test_prac_123/availability")).json()
    found = (await gql(PRACTITIONER, id="test_prac_123"))["practitioner"]
    assert found["bio"] == rest["bio"] and found["rating"] == rest["rating"]
    assert found["sessionTypes"] == [t.upper() for t in rest["session_types"]]
    assert found["pricing"] == {"basePrice": 50, "currency": "USD"}
    assert found["user"] == {
        "firstName": "Test",
        "lastName": "Practitioner",
        "email": rest["email"],
    }
    assert [s["id"] for s in found["services"]] == [s["id"] for s in rest["services"]]
    assert [s["name"] for s in found["specializations"]] == rest["specializations"]
    assert found["availability"]["id"] == slots["data"]["id"]
    assert len(found["availability"]["slots"]) == len(slots["data"]["attributes"]["slots"])
    assert len(found["reviews"]["edges"]) == 2  # not in REST: generated, but stable
    assert found == (await gql(PRACTITIONER, id="test_prac_123"))["practitioner"]
    assert (await gql(PRACTITIONER, id="prac_nope"))["practitioner"] is None


async def test_connections_page_with_stable_opaque_cursors() -> None:
    first = (await gql(PAGE))["practitioners"]
    second = (await gql(PAGE, after=first["pageInfo"]["endCursor"]))["practitioners"]
    again = (await gql(PAGE, after=first["pageInfo"]["endCursor"]))["practitioners"]
    assert first["totalCount"] == 54 and second == again  # 2 examples, 2 sandbox.yaml, 50
    assert first["pageInfo"]["hasNextPage"] and second["pageInfo"]["hasPreviousPage"]
    ids = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert len(set(ids)) == 10
    assert uncursor(cursor("prac_123")) == "prac_123" and "prac" not in cursor("prac_123")


async def test_nested_connections_list_what_rest_lists_under_the_parent() -> None:
    query = """{ user(id: "user_123") {
      firstName
      bookings { totalCount edges { node { id status practitioner { id } } } }
      preferences { language notifications { sms } }
    } }"""
    user = (await gql(query))["user"]
    async with client(flagship()) as c:
        rest = (await c.get("/v1/users/user_123/bookings")).json()
    assert user["bookings"]["totalCount"] == rest["meta"]["total_count"]
    node = user["bookings"]["edges"][0]["node"]
    assert node == {"id": "booking_123", "status": "CONFIRMED", "practitioner": {"id": "prac_123"}}
    assert user["preferences"] == {"language": "en", "notifications": {"sms": False}}


async def test_mutations_write_through_the_rest_mocks() -> None:
    create = """mutation($input: CreateBookingInput!) {
      createBooking(input: $input) { booking { id status type scheduledAt } errors { code } }
    }"""
    variables = {
        "practitionerId": "test_prac_123",
        "scheduledAt": "2024-01-05T16:00:00Z",
        "duration": 60,
        "sessionType": "PHONE_CALL",
    }
    async with client(flagship()) as c:
        await c.post("/__sandbox/reset")
    made = (await gql(create, input=variables))["createBooking"]
    assert made["errors"] == [] and made["booking"]["type"] == "PHONE_CALL"
    async with client(flagship()) as c:
        rest = (await c.get(f"/v1/bookings/{made['booking']['id']}")).json()["data"]
    assert rest["attributes"]["session_type"] == "phone_call"
    twice = (await gql(create, input=variables))["createBooking"]
    assert twice["booking"] is None and twice["errors"][0]["code"] == "BOOKING_CONFLICT"
    invalid = (await gql(create, input={**variables, "duration": 5}))["createBooking"]
    assert invalid["errors"][0]["code"] == "VALIDATION_ERROR"


async def test_a_declined_card_is_a_payload_error() -> None:
    pay = """mutation($input: CreatePaymentIntentInput!) {
      createPaymentIntent(input: $input) { paymentIntent { id status } errors { code } }
    }"""
    confirm = """mutation($input: ConfirmPaymentIntentInput!) {
      confirmPaymentIntent(input: $input) { paymentIntent { id status } errors { code message } }
    }"""
    intent = await gql(pay, input={"bookingId": "booking_123", "amount": 7500, "currency": "USD"})
    intent_id = intent["createPaymentIntent"]["paymentIntent"]["id"]
    card = {"number": "4000000000000002", "expMonth": 12, "expYear": 2030, "cvc": "123"}
    declined = (
        await gql(confirm, input={"paymentIntentId": intent_id, "paymentMethod": {"card": card}})
    )["confirmPaymentIntent"]
    assert declined["paymentIntent"] is None
    assert declined["errors"][0]["code"] == "PAYMENT_REQUIRED"


async def test_a_kept_answer_holds_until_the_next_write() -> None:
    read = '{ user(id: "test_user_123") { firstName } }'
    change = """mutation($input: UpdateProfileInput!) {
      updateProfile(input: $input) { user { firstName } errors { code } } }"""
    async with client(flagship()) as c:
        await c.post("/__sandbox/reset")
        first = await c.post("/graphql", json={"query": read})
        again = await c.post("/graphql", json={"query": read})
        assert first.content == again.content
        name = "Kept" if first.json()["data"]["user"]["firstName"] != "Kept" else "Changed"
        changed = await c.post(
            "/graphql",
            json={
                "query": change,
                "variables": {"input": {"userId": "test_user_123", "firstName": name}},
            },
        )
        assert changed.json()["data"]["updateProfile"]["errors"] == []
        after = await c.post("/graphql", json={"query": read})
    assert after.json()["data"]["user"]["firstName"] == name
