"""Idempotency-Key and concurrency of payments, on SQLite and PostgreSQL: retries replay,
concurrent confirms charge once, concurrent refunds never exceed the amount."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from handlers.storage.models import IdempotencyKey, PaymentIntent
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.payments_support import (
    DECLINED,
    bearer,
    booking_of,
    card_body,
    domain,
    events,
    intent_body,
    refund_body,
    refunder,
)

pytestmark = pytest.mark.anyio
RETRIES = 6


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain(sandbox).db.close()  # no lifespan ran: close its connections here


def keyed(built: Built, key: str) -> dict[str, str]:
    return {**bearer(built), "Idempotency-Key": key}


async def intent_count(built: Built, *bookings: str) -> int:
    """Intents of these bookings (the seed has intents of its own, e.g. pi_123)."""
    count = select(func.count()).select_from(PaymentIntent)
    async with domain(built).db.session() as session:
        found = await session.scalar(count.where(PaymentIntent.booking_id.in_(bookings)))
        return int(found or 0)


async def test_a_retried_create_with_the_same_key_replays_the_first_answer(built: Built) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        first = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=keyed(built, "k1")
        )
        again = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=keyed(built, "k1")
        )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    assert await intent_count(built, booking) == 1


async def test_the_same_key_with_another_body_is_409_and_changes_nothing(built: Built) -> None:
    one, two = await booking_of(built), await booking_of(built)
    async with client(built.app) as c:
        await c.post("/v1/payments/intents", json=intent_body(one), headers=keyed(built, "k2"))
        r = await c.post("/v1/payments/intents", json=intent_body(two), headers=keyed(built, "k2"))
    assert r.status_code == 409, r.text
    error = r.json()["errors"][0]
    assert (error["code"], error["source"]["parameter"]) == ("RESOURCE_CONFLICT", "Idempotency-Key")
    assert await intent_count(built, one, two) == 1


async def test_keys_belong_to_their_caller(built: Built) -> None:
    mine, theirs = await booking_of(built), await booking_of(built, user_id="user_other_2")
    async with client(built.app) as c:
        a = await c.post("/v1/payments/intents", json=intent_body(mine), headers=keyed(built, "k3"))
        headers = {**bearer(built, "user_other_2"), "Idempotency-Key": "k3"}
        b = await c.post("/v1/payments/intents", json=intent_body(theirs), headers=headers)
    assert (a.status_code, b.status_code) == (201, 201)
    assert "idempotent-replayed" not in b.headers


async def test_a_declined_confirm_is_replayed_as_the_same_402_without_a_second_attempt(
    built: Built,
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        created = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=bearer(built)
        )
        url = f"/v1/payments/intents/{created.json()['data']['id']}/confirm"
        first = await c.post(url, json=card_body(DECLINED), headers=keyed(built, "k4"))
        again = await c.post(url, json=card_body(DECLINED), headers=keyed(built, "k4"))
    assert (first.status_code, again.status_code) == (402, 402)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(await events(built, "payment.failed")) == 1


async def test_an_error_that_changed_nothing_is_not_stored_so_a_retry_runs_again(
    built: Built,
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        wrong = await c.post(
            "/v1/payments/intents", json=intent_body(booking, 1), headers=keyed(built, "k5")
        )
        async with domain(built).db.session() as session:
            assert (await session.scalars(select(IdempotencyKey))).all() == []
        right = await c.post(
            "/v1/payments/intents", json=intent_body(booking, 1), headers=keyed(built, "k5")
        )
    assert (wrong.status_code, right.status_code) == (422, 422)
    assert "idempotent-replayed" not in right.headers


async def test_concurrent_confirms_with_one_key_charge_once_and_all_answer_alike(
    built: Built,
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        created = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=bearer(built)
        )
        url = f"/v1/payments/intents/{created.json()['data']['id']}/confirm"
        answers = await asyncio.gather(
            *(c.post(url, json=card_body(), headers=keyed(built, "k6")) for _ in range(RETRIES))
        )
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in answers) == 1
    assert len(await events(built, "payment.completed")) == 1


async def test_concurrent_confirms_without_a_key_let_exactly_one_succeed(built: Built) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        created = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=bearer(built)
        )
        url = f"/v1/payments/intents/{created.json()['data']['id']}/confirm"
        answers = await asyncio.gather(
            *(c.post(url, json=card_body(), headers=bearer(built)) for _ in range(RETRIES))
        )
    assert sorted(r.status_code for r in answers) == [200] + [409] * (RETRIES - 1)
    assert len(await events(built, "payment.completed")) == 1


async def test_concurrent_confirms_of_two_intents_of_one_booking_charge_once(
    built: Built,
) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        ids = [
            (
                await c.post(
                    "/v1/payments/intents", json=intent_body(booking), headers=bearer(built)
                )
            ).json()["data"]["id"]
            for _ in range(2)
        ]
        answers = await asyncio.gather(
            *(
                c.post(f"/v1/payments/intents/{i}/confirm", json=card_body(), headers=bearer(built))
                for i in ids
            )
        )
    assert sorted(r.status_code for r in answers) == [200, 409]


async def test_concurrent_refunds_never_pay_back_more_than_the_amount(built: Built) -> None:
    booking = await booking_of(built)
    async with client(built.app) as c:
        created = await c.post(
            "/v1/payments/intents", json=intent_body(booking), headers=bearer(built)
        )
        intent_id = created.json()["data"]["id"]
        await c.post(
            f"/v1/payments/intents/{intent_id}/confirm", json=card_body(), headers=bearer(built)
        )
        url = f"/v1/payments/intents/{intent_id}/refunds"
        answers = await asyncio.gather(
            *(c.post(url, json=refund_body(3000), headers=refunder(built)) for _ in range(4))
        )
        intent = (await c.get(f"/v1/payments/intents/{intent_id}", headers=bearer(built))).json()
    assert sorted(r.status_code for r in answers) == [201, 201, 422, 422]
    assert intent["data"]["attributes"]["amount_refunded"] == 6000
