"""The cancellation policy through the public API: every booking shows its policy's tiers
and what cancelling now would give back, and a cancellation refunds exactly that (nothing
once the session has begun)."""

from __future__ import annotations

import copy

import pytest

from handlers.domain.cancellation_policy import DEFAULT_POLICY, shown_policy, tiers_of
from kkapp.factory import Built
from tests.security.domain.support import booking, client, paid, refunds_of, row, token

pytestmark = pytest.mark.anyio
TIERS = [{"hours_before": 24, "refund_percent": 100}, {"hours_before": 0, "refund_percent": 50}]
GRAPHQL = """query($id: ID!) { booking(id: $id) {
    refundIfCancelledNow { amount currency }
    cancellationPolicy { tiers { hoursBefore refundPercent } } } }"""


@pytest.mark.parametrize(("hours", "back"), [(72, 80), (10, 40), (-0.5, 0)])
async def test_a_booking_shows_what_cancelling_now_would_give_back(
    sandbox: Built, hours: float, back: int
) -> None:
    bid = await booking(sandbox, "confirmed", hours_ahead=hours)
    async with client(sandbox) as c:
        r = await c.get(f"/v1/bookings/{bid}", headers=token(sandbox, "patient"))
        g = await c.post(
            "/graphql",
            json={"query": GRAPHQL, "variables": {"id": bid}},
            headers=token(sandbox, "patient"),
        )
    assert r.status_code == 200, r.text
    attributes = r.json()["data"]["attributes"]
    assert attributes["refund_if_cancelled_now"] == {"amount": back, "currency": "USD"}
    assert attributes["cancellation_policy"]["tiers"] == TIERS
    shown = g.json()["data"]["booking"]
    assert shown["refundIfCancelledNow"]["amount"] == back
    assert shown["cancellationPolicy"]["tiers"][1] == {"hoursBefore": 0, "refundPercent": 50}


async def test_a_finished_booking_has_nothing_to_give_back(sandbox: Built) -> None:
    bid = await booking(sandbox, "completed", hours_ahead=-5)
    async with client(sandbox) as c:
        r = await c.get(f"/v1/bookings/{bid}", headers=token(sandbox, "patient"))
    assert r.json()["data"]["attributes"]["refund_if_cancelled_now"] is None


async def test_cancelling_after_the_start_keeps_the_whole_price(sandbox: Built) -> None:
    started = await booking(sandbox, "confirmed", hours_ahead=-0.25)
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, started)
        r = await c.delete(f"/v1/bookings/{started}", headers=token(sandbox, "patient"))
    assert r.status_code == 200, r.text
    cancellation = r.json()["data"]["attributes"]["cancellation"]
    assert (cancellation["fee"]["amount"], cancellation["refund"]["amount"]) == (80, 0)
    assert await refunds_of(sandbox, intent_id) == []
    assert (await row(sandbox, started)).payment_status == "succeeded"


async def test_a_late_cancellation_refunds_what_the_booking_showed(sandbox: Built) -> None:
    late = await booking(sandbox, "confirmed", hours_ahead=10)
    async with client(sandbox) as c:
        intent_id = await paid(sandbox, c, late)
        shown = await c.get(f"/v1/bookings/{late}", headers=token(sandbox, "patient"))
        r = await c.delete(f"/v1/bookings/{late}", headers=token(sandbox, "patient"))
    promised = shown.json()["data"]["attributes"]["refund_if_cancelled_now"]["amount"]
    assert r.json()["data"]["attributes"]["cancellation"]["refund"]["amount"] == promised == 40
    assert [x.amount for x in await refunds_of(sandbox, intent_id)] == [promised * 100]


def test_the_default_policy_shows_as_any_copy_of_it_and_each_caller_owns_its_document() -> None:
    stored = copy.deepcopy(DEFAULT_POLICY)  # (as a booking read back from its row has it)
    assert tiers_of(DEFAULT_POLICY) == tiers_of(stored)
    assert shown_policy(DEFAULT_POLICY) == shown_policy(stored)
    first = shown_policy(DEFAULT_POLICY)
    first["tiers"][0]["refund_percent"] = 0
    first["description"] = "changed by one answer"
    assert shown_policy(DEFAULT_POLICY) == shown_policy(stored)
    assert DEFAULT_POLICY == stored
