"""A payment provider that is slow or never answers, on SQLite and PostgreSQL: the API answers
503 SERVICE_UNAVAILABLE with Retry-After within the payment timeout, writes nothing of the
attempt, and a retry (same Idempotency-Key) gets the one charge the provider made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from handlers.domain.gateway import sandbox_gateway
from handlers.storage.models import AuditEntry, Booking, IdempotencyKey, PaymentIntent
from kkapp.factory import Built
from tests.engine import client
from tests.handlers.payments_support import (
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
SLOW, TIMES_OUT = "4000000000003105", "4000000000005100"


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    # read on the first payment: a timeout tests can wait for, a slow card slower than it
    sandbox.runtime.extras.update(payment_timeout=0.3, payment_slow_seconds=1.0)
    yield sandbox
    await domain(sandbox).db.close()  # no lifespan ran: close its connections here


async def new_intent(c: httpx.AsyncClient, built: Built) -> tuple[str, str]:
    """(intent id, booking id) of a fresh unpaid booking."""
    booking = await booking_of(built)
    r = await c.post("/v1/payments/intents", json=intent_body(booking), headers=bearer(built))
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"], booking


def keyed(built: Built, key: str) -> dict[str, str]:
    return {**bearer(built), "Idempotency-Key": key}


async def confirm(c: httpx.AsyncClient, built: Built, intent: str, card: str) -> httpx.Response:
    url = f"/v1/payments/intents/{intent}/confirm"
    return await c.post(url, json=card_body(card), headers=keyed(built, f"confirm-{intent}"))


async def stored(built: Built, intent_id: str, booking_id: str) -> dict[str, Any]:
    """What the database holds of the attempt (each a count or the row's state)."""
    async with domain(built).db.session() as session:
        intent = await session.get_one(PaymentIntent, intent_id, populate_existing=True)
        booking = await session.get_one(Booking, booking_id, populate_existing=True)
        keys = await session.scalar(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key.like("conf%"))
        )
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "payment_intent.confirm", AuditEntry.resource_id == intent_id
            )
        )
    mine = [e for e in await events(built, "payment.completed") if e.data["id"] == intent_id]
    failed = [e for e in await events(built, "payment.failed") if e.data["id"] == intent_id]
    return {
        "intent": (intent.status, intent.payment_method, intent.last_payment_error),
        "booking": booking.payment_status,
        "keys": keys,
        "audits": audits,
        "events": len(mine) + len(failed),
    }


async def test_a_provider_that_never_answers_is_a_503_with_retry_after_and_nothing_written(
    built: Built,
) -> None:
    async with client(built.app) as c:
        intent, booking = await new_intent(c, built)
        r = await confirm(c, built, intent, TIMES_OUT)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    error = r.json()["errors"][0]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["meta"] == {"upstream": "payment_gateway", "timeout_seconds": 0.3}
    assert await stored(built, intent, booking) == {
        "intent": ("requires_payment_method", None, None),
        "booking": "requires_payment_method",
        "keys": 0,
        "audits": 0,
        "events": 0,
    }


async def test_a_retry_with_the_same_key_after_a_timeout_gets_the_one_charge(
    built: Built,
) -> None:
    gateway = sandbox_gateway(domain(built))
    async with client(built.app) as c:
        intent, booking = await new_intent(c, built)
        first = await confirm(c, built, intent, TIMES_OUT)
        charged_once = dict(gateway.charged)
        retry = await confirm(c, built, intent, TIMES_OUT)
        replay = await confirm(c, built, intent, TIMES_OUT)
    assert (first.status_code, retry.status_code, replay.status_code) == (503, 200, 200)
    assert list(charged_once) == [intent] and gateway.charged == charged_once
    assert retry.json()["data"]["attributes"]["status"] == "succeeded"
    assert replay.headers["idempotent-replayed"] == "true"
    after = await stored(built, intent, booking)
    assert after["intent"][0] == "succeeded" and after["booking"] == "succeeded"
    assert (after["keys"], after["audits"], after["events"]) == (1, 1, 1)


async def test_a_slow_provider_past_the_timeout_charges_nothing_and_a_retry_charges_once(
    built: Built,
) -> None:
    gateway = sandbox_gateway(domain(built))
    async with client(built.app) as c:
        intent, booking = await new_intent(c, built)
        late = await confirm(c, built, intent, SLOW)
        nothing = dict(gateway.charged)
        built.runtime.extras["payment_slow_seconds"] = 0.05
        gateway.slow_seconds = 0.05  # the provider recovers: answers within the timeout
        retry = await confirm(c, built, intent, SLOW)
    assert (late.status_code, retry.status_code) == (503, 200)
    assert nothing == {} and list(gateway.charged) == [intent]
    assert retry.json()["data"]["attributes"]["payment_method"]["card"]["last4"] == "3105"
    assert (await stored(built, intent, booking))["events"] == 1


class HangingRefunds:
    """A provider that charges at once and never answers a refund."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def charge(self, *args: Any) -> Any:
        return await self.inner.charge(*args)

    async def refund(self, reference: str, amount: int, currency: str) -> bool:
        import asyncio

        await asyncio.Event().wait()
        return True


async def test_a_refund_without_an_answer_in_time_is_a_503_and_refunds_nothing(
    built: Built,
) -> None:
    built.runtime.extras["payment_gateway"] = HangingRefunds(sandbox_gateway(domain(built)))
    async with client(built.app) as c:
        intent, booking = await new_intent(c, built)
        assert (await confirm(c, built, intent, "4242424242424242")).status_code == 200
        r = await c.post(
            f"/v1/payments/intents/{intent}/refunds", json=refund_body(), headers=refunder(built)
        )
        after = (await c.get(f"/v1/payments/intents/{intent}", headers=bearer(built))).json()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert after["data"]["attributes"]["amount_refunded"] == 0
    assert after["data"]["attributes"]["status"] == "succeeded"
    assert await events(built, "payment.refunded") == []
