"""Klear Karma's payments: intents for bookings, confirmation with a card (the app's
PaymentGateway; the sandbox's test cards), refunds. Every POST honours `Idempotency-Key`."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.caller import caller_of
from handlers.domain.context import domain_of
from handlers.domain.gateway import Card
from handlers.domain.idempotency import idempotent
from handlers.domain.jsonapi import single
from handlers.domain.payment_resources import intent_resource, refund_resource
from handlers.domain.payments import PaymentService
from handlers.domain.refunds import RefundService
from handlers.domain.unit import Unit
from handlers.lifecycle import domain_group
from kkcore.errors import PaymentRequired, Problem
from server.languages import language_for, localized_error_reply
from server.responses import Reply

payments = domain_group("payments")


def _document(request: Any, data: dict[str, Any], status: int = 200, at: str = "") -> Reply:
    body = single(data, request.request_id, domain_of(request.services).clock())
    return Reply(status, body, {"Location": at} if at else {})


async def decline_reply(request: Any, code: str, message: str) -> Reply:
    """The 402 of a declined card (an answer, not an exception: the attempt is recorded), in
    the caller's language like any error."""
    problem = Problem(
        f"{message.rstrip('.')} ({code})",
        pointer="/data/attributes/payment_method/card/number",
        meta={"decline_code": code},
    )
    language = await language_for(request.headers, request.identity, dict(request.services))
    return localized_error_reply(PaymentRequired(problems=[problem]), request.request_id, language)


@payments.operation("createPaymentIntent")
async def create_payment_intent(request: models.CreatePaymentIntentRequest) -> Reply:
    """An intent for the caller's booking, for exactly its price (409 once it is paid)."""
    who, attrs = (
        caller_of(request),
        dict(request.body["data"]["attributes"]),
    )
    service = domain_of(request.services).get(PaymentService)

    async def work(unit: Unit) -> Reply:
        intent = await service.create(unit, who, attrs)
        data = intent_resource(intent, secret=True)
        return _document(request, data, 201, f"/v1/payments/intents/{intent.id}")

    return await idempotent(request, work)


@payments.operation("getPaymentIntent")
async def get_payment_intent(request: models.GetPaymentIntentRequest) -> Reply:
    """A payment intent (x-owner: its payer and the booking's people)."""
    service = domain_of(request.services).get(PaymentService)
    intent = await service.get(request.params["intent_id"], caller_of(request))
    return _document(request, intent_resource(intent))


@payments.operation("confirmPaymentIntent")
async def confirm_payment_intent(request: models.ConfirmPaymentIntentRequest) -> Reply:
    """Charge the card: 200 succeeded, 402 declined (recorded), 409 if already paid."""
    raw = request.body["data"]["attributes"]["payment_method"]["card"]
    card = Card(raw["number"], raw["exp_month"], raw["exp_year"], raw["cvc"])
    service, who = (
        domain_of(request.services).get(PaymentService),
        caller_of(request),
    )

    async def work(unit: Unit) -> Reply:
        done = await service.confirm(unit, request.params["intent_id"], card, who)
        if done.decline is not None:
            return await decline_reply(request, *done.decline)
        return _document(request, intent_resource(done.intent))

    return await idempotent(request, work)


@payments.operation("createRefund")
async def create_refund(request: models.CreateRefundRequest) -> Reply:
    """Refund all that is left, or `amount` of it (409 nothing left, 422 too much)."""
    attrs = request.body["data"]["attributes"]
    service, who = (
        domain_of(request.services).get(RefundService),
        caller_of(request),
    )

    async def work(unit: Unit) -> Reply:
        intent_id = request.params["intent_id"]
        refund = await service.refund(
            unit, intent_id, attrs.get("amount"), attrs.get("reason"), who
        )
        at = f"/v1/payments/intents/{refund.payment_intent_id}/refunds/{refund.id}"
        return _document(request, refund_resource(refund), 201, at)

    return await idempotent(request, work)
