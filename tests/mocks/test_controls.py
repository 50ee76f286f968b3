"""What a frontend can force: Prism's `Prefer` (code, example, dynamic, delay), the spec's
`x-mock-rules` (test cards), and chaos."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from kkcore.errors import BadRequest
from mocks.answers import MAX_DELAY_MS, parse_prefer
from tests.engine import FIXTURES, client

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def mock_app() -> Any:
    return build(AppConfig("mock")).app


CARDS = {
    "4242424242424242": (200, None),
    "4000000000000002": (402, "card_declined"),
    "4000000000009995": (402, "insufficient_funds"),
}


def confirm(number: str) -> dict[str, object]:
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return {
        "data": {
            "type": "payment_intent",
            "attributes": {"payment_method": {"type": "card", "card": card}},
        }
    }


async def new_intent(c: object) -> str:
    body = {
        "data": {
            "type": "payment_intent",
            "attributes": {"booking_id": "booking_123", "amount": 7500, "currency": "USD"},
        }
    }
    r = await c.post("/v1/payments/intents", json=body)  # type: ignore[attr-defined]
    assert r.status_code == 201
    return str(r.json()["data"]["id"])


async def test_prefer_code_answers_that_status_with_its_example(mock_app: Any) -> None:
    async with client(mock_app) as c:
        r = await c.get("/v1/bookings/booking_123", headers={"Prefer": "code=404"})
    assert r.status_code == 404
    assert r.json()["errors"][0]["detail"] == "No booking with id booking_999 exists"
    assert r.json()["meta"]["request_id"] == r.headers["x-request-id"]


async def test_prefer_example_picks_a_named_example(mock_app: Any) -> None:
    async with client(mock_app) as c:
        r = await c.get("/v1/practitioners", headers={"Prefer": "example=empty"})
        both = await c.get(
            "/v1/payments/intents/pi_123/confirm".replace("/confirm", ""),
            headers={"Prefer": "code=200, example=succeeded"},
        )
    assert r.status_code == 200 and r.json()["data"] == []
    assert both.json()["data"]["attributes"]["status"] == "succeeded"


async def test_an_undeclared_code_or_unknown_example_is_a_400_naming_what_exists(
    mock_app: Any,
) -> None:
    async with client(mock_app) as c:
        code = await c.get("/v1/practitioners", headers={"Prefer": "code=418"})
        example = await c.get("/v1/practitioners", headers={"Prefer": "example=nope"})
        garbled = await c.get("/v1/practitioners", headers={"Prefer": "code=abc"})
    assert code.status_code == 400
    assert "declared: 200, 400, 401, 403, 429, 500, 503" in code.json()["errors"][0]["detail"]
    assert code.json()["errors"][0]["source"] == {"parameter": "Prefer"}
    assert example.status_code == 400
    assert "examples: reference, empty" in example.json()["errors"][0]["detail"]
    assert garbled.status_code == 400


async def test_dynamic_answers_are_generated_per_request_and_deterministic(mock_app: Any) -> None:
    dynamic = {"Prefer": "dynamic=true"}
    async with client(mock_app) as c:
        a = await c.get("/v1/practitioners", params={"limit": 7}, headers=dynamic)
        b = await c.get("/v1/practitioners", params={"limit": 7}, headers=dynamic)
        other = await c.get("/v1/practitioners", params={"limit": 3}, headers=dynamic)
        static = await c.get(
            "/v1/practitioners", params={"limit": 7}, headers={"Prefer": "dynamic=false"}
        )
    assert a.status_code == 200 and a.content == b.content
    assert len(a.json()["data"]) == 7 and len(other.json()["data"]) == 3
    assert static.json()["data"][0]["id"] == "prac_123"  # the spec's first example


async def test_delay_waits_and_is_bounded(mock_app: Any) -> None:
    async with client(mock_app) as c:
        started = time.perf_counter()
        r = await c.get("/v1/practitioners/prac_123", headers={"Prefer": "delay=150"})
    assert r.status_code == 200 and time.perf_counter() - started >= 0.15
    assert parse_prefer("delay=99999999").delay_ms == MAX_DELAY_MS
    with pytest.raises(BadRequest):
        parse_prefer("dynamic=maybe")


@pytest.mark.parametrize("number", sorted(CARDS))
async def test_test_cards_follow_the_specs_rules(mock_app: Any, number: str) -> None:
    status, decline = CARDS[number]
    async with client(mock_app) as c:
        intent = await new_intent(c)
        r = await c.post(f"/v1/payments/intents/{intent}/confirm", json=confirm(number))
        stored = (await c.get(f"/v1/payments/intents/{intent}")).json()["data"]["attributes"]
        booking = (await c.get("/v1/bookings/booking_123")).json()["data"]["attributes"]
    assert r.status_code == status
    if decline is None:
        assert stored["status"] == "succeeded" and booking["payment_status"] == "succeeded"
        assert stored["payment_method"]["card"]["last4"] == "4242"
    else:
        assert r.json()["errors"][0]["meta"]["decline_code"] == decline
        assert stored["status"] == "requires_payment_method"
        assert stored["last_payment_error"]["code"] == decline
        assert booking["payment_status"] == "failed"


async def test_the_slow_card_succeeds_and_the_timeout_card_is_a_503_with_retry_after(
    mock_app: Any,
) -> None:
    async with client(mock_app) as c:
        intent = await new_intent(c)
        timed_out = await c.post(
            f"/v1/payments/intents/{intent}/confirm", json=confirm("4000000000005100")
        )
        unchanged = (await c.get(f"/v1/payments/intents/{intent}")).json()["data"]["attributes"]
        slow = await c.post(
            f"/v1/payments/intents/{intent}/confirm", json=confirm("4000000000003105")
        )
    assert timed_out.status_code == 503 and timed_out.headers["retry-after"] == "10"
    assert timed_out.json()["errors"][0]["code"] == "SERVICE_UNAVAILABLE"
    assert unchanged["status"] == "requires_payment_method"
    assert slow.status_code == 200
    assert slow.json()["data"]["attributes"]["payment_method"]["card"]["last4"] == "3105"


async def test_a_paid_intent_cannot_be_confirmed_again(mock_app: Any) -> None:
    async with client(mock_app) as c:
        intent = await new_intent(c)
        await c.post(f"/v1/payments/intents/{intent}/confirm", json=confirm("4242424242424242"))
        again = await c.post(
            f"/v1/payments/intents/{intent}/confirm", json=confirm("4242424242424242")
        )
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"


async def test_chaos_answers_documented_500_and_503_only() -> None:
    chaotic = build(AppConfig("mock", options={"chaos": 1.0})).app
    calm = build(
        AppConfig(
            "mock", spec=str(FIXTURES / "petstore31" / "openapi.yaml"), options={"chaos": 1.0}
        )
    ).app
    async with client(chaotic) as c:
        statuses = {(await c.get("/v1/practitioners/prac_123")).status_code for _ in range(20)}
        r = await c.get("/v1/practitioners/prac_123")
    assert statuses == {500, 503}
    assert r.json()["errors"][0]["code"] in ("INTERNAL_ERROR", "SERVICE_UNAVAILABLE")
    async with client(calm) as c:
        assert (await c.get("/v1/pets")).status_code == 200  # petstore declares no 5xx
