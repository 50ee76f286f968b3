"""Payments through the sandbox app on SQLite and PostgreSQL: intents, the test cards,
the status machine, refunds, events, object-level access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kkapp.factory import Built
from tests.engine import client
from tests.handlers.payments_support import (
    DECLINED,
    NO_FUNDS,
    PAYER,
    bearer,
    booking_of,
    booking_row,
    card_body,
    domain,
    events,
    intent_body,
    refund_body,
    refunder,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain(sandbox).db.close()  # no lifespan ran: close its connections here


async def new_intent(c: httpx.AsyncClient, built: Built, booking: str) -> dict[str, Any]:
    r = await c.post("/v1/payments/intents", json=intent_body(booking), headers=bearer(built))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def paid_intent(c: httpx.AsyncClient, built: Built) -> str:
    intent = await new_intent(c, built, await booking_of(built))
    url = f"/v1/payments/intents/{intent['id']}/confirm"
    assert (await c.post(url, json=card_body(), headers=bearer(built))).status_code == 200
    return str(intent["id"])


async def test_an_intent_is_created_for_the_bookings_price_awaiting_a_payment_method(
    built: Built,
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        r = await c.post("/v1/payments/intents", json=intent_body(booking), headers=bearer(built))
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    a = data["attributes"]
    assert r.headers["location"] == f"/v1/payments/intents/{data['id']}"
    assert (a["status"], a["amount"], a["currency"], a["amount_refunded"]) == (
        "requires_payment_method",
        7500,
        "USD",
        0,
    )
    assert a["client_secret"].startswith(f"{data['id']}_secret_")
    assert a["payment_method_types"] == ["card"]
    row = await booking_row(built, booking)
    assert (row.payment_intent_id, row.payment_status) == (data["id"], "requires_payment_method")
    assert [e.data["id"] for e in await events(built, "payment_intent.created")] == [data["id"]]


@pytest.mark.parametrize(
    ("amount", "currency", "pointer"),
    [(5000, "USD", "/data/attributes/amount"), (7500, "EUR", "/data/attributes/currency")],
)
async def test_an_intent_for_another_amount_or_currency_than_the_price_is_422(
    built: Built, amount: int, currency: str, pointer: str
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        r = await c.post(
            "/v1/payments/intents",
            json=intent_body(booking, amount, currency),
            headers=bearer(built),
        )
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert (error["code"], error["source"]["pointer"]) == ("VALIDATION_ERROR", pointer)


async def test_someone_elses_booking_cannot_be_paid_and_is_not_disclosed(built: Built) -> None:
    booking = await booking_of(built, user_id="user_other_1")
    async with client(built.app) as c:
        r = await c.post("/v1/payments/intents", json=intent_body(booking), headers=bearer(built))
    assert r.status_code == 404, r.text
    assert r.json()["errors"][0]["source"]["pointer"] == "/data/attributes/booking_id"


async def test_the_success_card_pays_the_intent_and_the_booking(built: Built) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        intent = await new_intent(c, built, booking)
        r = await c.post(
            f"/v1/payments/intents/{intent['id']}/confirm", json=card_body(), headers=bearer(built)
        )
    assert r.status_code == 200, r.text
    a = r.json()["data"]["attributes"]
    assert (a["status"], a["last_payment_error"]) == ("succeeded", None)
    assert a["payment_method"] == {
        "type": "card",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
    }
    assert "client_secret" not in a
    assert (await booking_row(built, booking)).payment_status == "succeeded"
    [completed] = await events(built, "payment.completed")
    assert completed.data["attributes"]["user_id"] == PAYER
    assert PAYER in completed.audience and completed.channel == "payments"


@pytest.mark.parametrize(
    ("number", "code"), [(DECLINED, "card_declined"), (NO_FUNDS, "insufficient_funds")]
)
async def test_a_declined_test_card_is_402_and_leaves_the_intent_payable(
    built: Built, number: str, code: str
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        intent = await new_intent(c, built, booking)
        url = f"/v1/payments/intents/{intent['id']}/confirm"
        r = await c.post(url, json=card_body(number), headers=bearer(built))
        stored = await c.get(f"/v1/payments/intents/{intent['id']}", headers=bearer(built))
        assert (await booking_row(built, booking)).payment_status == "failed"
        retried = await c.post(url, json=card_body(), headers=bearer(built))
    assert r.status_code == 402, r.text
    error = r.json()["errors"][0]
    assert (error["code"], error["meta"]["decline_code"]) == ("PAYMENT_REQUIRED", code)
    assert error["source"]["pointer"] == "/data/attributes/payment_method/card/number"
    a = stored.json()["data"]["attributes"]
    assert a["status"] == "requires_payment_method"
    assert a["last_payment_error"]["code"] == code
    assert [
        e.data["attributes"]["last_payment_error"]["code"]
        for e in await events(built, "payment.failed")
    ] == [code]
    assert retried.status_code == 200 and retried.json()["data"]["attributes"]["status"] == (
        "succeeded"
    )


async def test_an_expired_card_is_declined_as_expired(built: Built) -> None:
    async with client(built.app) as c:
        intent = await new_intent(c, built, await booking_of(built))
        r = await c.post(
            f"/v1/payments/intents/{intent['id']}/confirm",
            json=card_body(exp_year=2023),  # the sandbox clock is at 2024-01-01
            headers=bearer(built),
        )
    assert r.status_code == 402 and r.json()["errors"][0]["meta"]["decline_code"] == "expired_card"


async def test_a_succeeded_intent_cannot_be_confirmed_again_nor_its_booking_paid_again(
    built: Built,
) -> None:
    async with client(built.app) as c:
        intent_id = await paid_intent(c, built)
        again = await c.post(
            f"/v1/payments/intents/{intent_id}/confirm", json=card_body(), headers=bearer(built)
        )
        booking = (await c.get(f"/v1/payments/intents/{intent_id}", headers=bearer(built))).json()
        second = await c.post(
            "/v1/payments/intents",
            json=intent_body(booking["data"]["attributes"]["booking_id"]),
            headers=bearer(built),
        )
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
    assert second.status_code == 409, second.text
    assert len(await events(built, "payment.completed")) == 1


async def test_only_the_people_of_the_booking_see_an_intent(built: Built) -> None:
    async with client(built.app) as c:
        intent = await new_intent(c, built, await booking_of(built))
        url = f"/v1/payments/intents/{intent['id']}"
        mine = await c.get(url, headers=bearer(built))
        other = await c.get(url, headers=bearer(built, "user_stranger_1"))
        admin = await c.get(url, headers=bearer(built, "admin_1", ["read:bookings", "admin:users"]))
        missing = await c.get("/v1/payments/intents/pi_nothere", headers=bearer(built))
    assert mine.status_code == 200 and admin.status_code == 200
    assert "client_secret" not in mine.json()["data"]["attributes"]
    assert other.status_code == 404 and missing.status_code == 404


async def test_refunds_go_in_part_then_in_full_and_never_beyond_the_amount(built: Built) -> None:
    async with client(built.app) as c:
        intent_id = await paid_intent(c, built)
        url, auth = f"/v1/payments/intents/{intent_id}/refunds", refunder(built)
        part = await c.post(url, json=refund_body(5000, "requested_by_customer"), headers=auth)
        booking_id = part.json()["data"]["attributes"]["payment_intent_id"]
        too_much = await c.post(url, json=refund_body(3000), headers=auth)
        rest = await c.post(url, json=refund_body(reason="booking_cancelled"), headers=auth)
        nothing_left = await c.post(url, json=refund_body(), headers=auth)
        intent = (await c.get(f"/v1/payments/intents/{intent_id}", headers=auth)).json()
    assert part.status_code == 201, part.text
    p = part.json()["data"]["attributes"]
    assert (p["amount"], p["status"], p["reason"], booking_id) == (
        5000,
        "succeeded",
        "requested_by_customer",
        intent_id,
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["source"]["pointer"] == "/data/attributes/amount"
    assert rest.status_code == 201 and rest.json()["data"]["attributes"]["amount"] == 2500
    assert nothing_left.status_code == 409
    assert intent["data"]["attributes"]["amount_refunded"] == 7500
    row = await booking_row(built, intent["data"]["attributes"]["booking_id"])
    assert row.payment_status == "refunded"
    refunded = await events(built, "payment.refunded")
    assert sorted(e.data["attributes"]["amount_refunded"] for e in refunded) == [5000, 7500]


async def test_a_partial_refund_marks_the_booking_partially_refunded(built: Built) -> None:
    async with client(built.app) as c:
        intent_id = await paid_intent(c, built)
        url = f"/v1/payments/intents/{intent_id}/refunds"
        await c.post(url, json=refund_body(100), headers=refunder(built))
        intent = (await c.get(f"/v1/payments/intents/{intent_id}", headers=bearer(built))).json()
    row = await booking_row(built, intent["data"]["attributes"]["booking_id"])
    assert row.payment_status == "partially_refunded"


async def test_an_unpaid_intent_cannot_be_refunded(built: Built) -> None:
    async with client(built.app) as c:
        intent = await new_intent(c, built, await booking_of(built))
        r = await c.post(
            f"/v1/payments/intents/{intent['id']}/refunds",
            json=refund_body(),
            headers=refunder(built),
        )
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
