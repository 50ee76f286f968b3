"""Finding 2: a patient refunded their own completed session (POST .../refunds as the payer
answered 201, full refund, the cancellation policy bypassed). Refunds are the practitioner's
or an administrator's; a patient's money comes back only by cancelling under the policy."""

from __future__ import annotations

import pytest

from kkapp.factory import Built
from tests.security.domain.support import (
    booking,
    client,
    event_count,
    intent,
    paid,
    refunds_of,
    row,
    token,
)

pytestmark = pytest.mark.anyio
REFUND = {"data": {"type": "refund", "attributes": {"reason": "requested_by_customer"}}}
GRAPHQL = """mutation($input: RefundPaymentInput!) { refundPayment(input: $input) {
    refund { id amount } errors { field message code } } }"""


async def test_the_payer_cannot_refund_their_completed_session(sandbox: Built) -> None:
    bid = await booking(sandbox, "in_progress")
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, bid)
        body = {"data": {"type": "booking", "attributes": {"status": "completed"}}}
        done = await c.put(f"/v1/bookings/{bid}", json=body, headers=token(sandbox, "practitioner"))
        assert done.status_code == 200, done.text
        before = await event_count(sandbox)
        r = await c.post(
            f"/v1/payments/intents/{intent_id}/refunds",
            json=REFUND,
            headers={**token(sandbox, "patient"), "Idempotency-Key": "mine"},
        )
    assert r.status_code == 403, r.text
    error = r.json()["errors"][0]
    assert error["code"] == "INSUFFICIENT_PERMISSIONS"
    assert "cancelling the booking" in error["detail"]
    assert await refunds_of(sandbox, intent_id) == []
    assert (await intent(sandbox, intent_id)).amount_refunded == 0
    assert (await row(sandbox, bid)).payment_status == "succeeded"
    assert await event_count(sandbox) == before


async def test_the_payer_cannot_refund_through_graphql_either(sandbox: Built) -> None:
    bid = await booking(sandbox, "confirmed")
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, bid)
        r = await c.post(
            "/graphql",
            json={"query": GRAPHQL, "variables": {"input": {"paymentIntentId": intent_id}}},
            headers=token(sandbox, "patient"),
        )
    done = r.json()["data"]["refundPayment"]
    assert done["refund"] is None
    assert done["errors"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert await refunds_of(sandbox, intent_id) == []


@pytest.mark.parametrize("role", ["practitioner", "admin"])
async def test_the_practitioner_or_an_admin_refunds(sandbox: Built, role: str) -> None:
    bid = await booking(sandbox, "confirmed")
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, bid)
        part = {"data": {"type": "refund", "attributes": {"amount": 3000}}}
        r = await c.post(
            f"/v1/payments/intents/{intent_id}/refunds", json=part, headers=token(sandbox, role)
        )
    assert r.status_code == 201, r.text
    assert (await intent(sandbox, intent_id)).amount_refunded == 3000
    assert (await row(sandbox, bid)).payment_status == "partially_refunded"


async def test_the_patients_money_comes_back_by_cancelling_under_the_policy(
    sandbox: Built,
) -> None:
    late = await booking(sandbox, "confirmed", hours_ahead=10)  # inside the 24 hours: half kept
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, late)
        r = await c.delete(f"/v1/bookings/{late}", headers=token(sandbox, "patient"))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["cancellation"]["refund"]["amount"] == 40
    assert [x.amount for x in await refunds_of(sandbox, intent_id)] == [4000]
    assert (await row(sandbox, late)).payment_status == "partially_refunded"
