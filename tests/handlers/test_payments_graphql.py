"""GraphQL payments on SQLite and PostgreSQL: the same services and rules as REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.graphql.payment_loads import of_bookings
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.payments_support import DECLINED, SCOPES, SUCCEEDS, bearer, booking_of, domain

ADMIN = "user_admin_1"

pytestmark = pytest.mark.anyio
CREATE = """mutation($input: CreatePaymentIntentInput!) {
  createPaymentIntent(input: $input) {
    paymentIntent { id status amount currency paymentMethodTypes clientSecret }
    errors { field code message }
  }
}"""
CONFIRM = """mutation($input: ConfirmPaymentIntentInput!) {
  confirmPaymentIntent(input: $input) { paymentIntent { id status } errors { field code } }
}"""
REFUND = """mutation($input: RefundPaymentInput!) {
  refundPayment(input: $input) {
    refund { id amount status reason paymentIntent { id amountRefunded } }
    errors { field code }
  }
}"""
READ = """query($id: ID!) {
  paymentIntent(id: $id) {
    id status amountRefunded booking { id } createdAt refunds { amount reason createdAt }
  }
}"""


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain(sandbox).db.close()


async def gql(built: Built, document: str, subject: str = "user_payer_1", **variables: Any) -> Any:
    # refunds are the practitioner's or an admin's (handlers.domain.refunds)
    scopes = [*SCOPES, "admin:users"] if subject == ADMIN else None
    async with client(built.app) as c:
        r = await c.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers=bearer(built, subject, scopes),
        )
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, body
    return body["data"]


def card(number: str) -> dict[str, Any]:
    return {"card": {"number": number, "expMonth": 12, "expYear": 2030, "cvc": "123"}}


async def created(built: Built, booking: str) -> dict[str, Any]:
    data = await gql(
        built,
        CREATE,
        input={"bookingId": booking, "amount": 7500, "currency": "USD"},
    )
    payload: dict[str, Any] = data["createPaymentIntent"]
    return payload


async def test_an_intent_is_created_paid_read_and_refunded(built: Built) -> None:
    booking = await booking_of(built)
    made = (await created(built, booking))["paymentIntent"]
    assert (made["status"], made["amount"], made["paymentMethodTypes"]) == (
        "REQUIRES_PAYMENT_METHOD",
        7500,
        ["CARD"],
    )
    assert made["clientSecret"].startswith(made["id"])
    paid = await gql(
        built, CONFIRM, input={"paymentIntentId": made["id"], "paymentMethod": card(SUCCEEDS)}
    )
    assert paid["confirmPaymentIntent"] == {
        "paymentIntent": {"id": made["id"], "status": "SUCCEEDED"},
        "errors": [],
    }
    refund = await gql(
        built,
        REFUND,
        ADMIN,
        input={"paymentIntentId": made["id"], "amount": 2000, "reason": "DUPLICATE"},
    )
    r = refund["refundPayment"]["refund"]
    assert (r["amount"], r["status"], r["reason"]) == (2000, "SUCCEEDED", "DUPLICATE")
    assert r["paymentIntent"] == {"id": made["id"], "amountRefunded": 2000}
    read = (await gql(built, READ, id=made["id"]))["paymentIntent"]
    assert read["booking"] == {"id": booking}
    assert read["refunds"] == [
        {"amount": 2000, "reason": "DUPLICATE", "createdAt": "2024-01-01T00:00:00Z"}
    ]


async def test_a_declined_card_is_a_payment_required_user_error(built: Built) -> None:
    made = (await created(built, await booking_of(built)))["paymentIntent"]
    declined = await gql(
        built, CONFIRM, input={"paymentIntentId": made["id"], "paymentMethod": card(DECLINED)}
    )
    assert declined["confirmPaymentIntent"] == {
        "paymentIntent": None,
        "errors": [{"field": "input.paymentMethod.card.number", "code": "PAYMENT_REQUIRED"}],
    }
    read = (await gql(built, READ, id=made["id"]))["paymentIntent"]
    assert read["status"] == "REQUIRES_PAYMENT_METHOD"


async def test_a_wrong_amount_is_a_validation_user_error(built: Built) -> None:
    data = await gql(
        built,
        CREATE,
        input={"bookingId": await booking_of(built), "amount": 1, "currency": "USD"},
    )
    assert data["createPaymentIntent"]["errors"][0]["field"] == "input.amount"
    assert data["createPaymentIntent"]["paymentIntent"] is None


async def test_strangers_neither_see_nor_charge_nor_refund_an_intent(built: Built) -> None:
    made = (await created(built, await booking_of(built)))["paymentIntent"]
    stranger = "user_stranger_2"
    assert (await gql(built, READ, stranger, id=made["id"]))["paymentIntent"] is None
    confirm = await gql(
        built,
        CONFIRM,
        stranger,
        input={"paymentIntentId": made["id"], "paymentMethod": card(SUCCEEDS)},
    )
    assert confirm["confirmPaymentIntent"]["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
    refund = await gql(built, REFUND, stranger, input={"paymentIntentId": made["id"]})
    assert refund["refundPayment"]["errors"][0]["code"] == "RESOURCE_NOT_FOUND"


async def test_a_bookings_intent_is_the_one_it_points_at_loaded_in_one_batch(
    built: Built,
) -> None:
    booking, other = await booking_of(built), await booking_of(built)
    first = (await created(built, booking))["paymentIntent"]["id"]
    second = (await created(built, booking))["paymentIntent"]["id"]
    found = await of_bookings(domain(built), [booking, other, "booking_none"])
    assert (found[booking].id, first != second) == (second, True)
    assert other not in found and "booking_none" not in found


async def test_a_provider_timeout_is_a_service_unavailable_user_error_and_changes_nothing(
    built: Built,
) -> None:
    built.runtime.extras["payment_timeout"] = 0.2
    made = (await created(built, await booking_of(built)))["paymentIntent"]
    timed_out = await gql(
        built,
        CONFIRM,
        input={"paymentIntentId": made["id"], "paymentMethod": card("4000000000005100")},
    )
    assert timed_out["confirmPaymentIntent"]["paymentIntent"] is None
    assert [e["code"] for e in timed_out["confirmPaymentIntent"]["errors"]] == [
        "SERVICE_UNAVAILABLE"
    ]
    read = (await gql(built, READ, id=made["id"]))["paymentIntent"]
    assert read["status"] == "REQUIRES_PAYMENT_METHOD"
