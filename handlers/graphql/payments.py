"""GraphQL of payments: `paymentIntent`, `createPaymentIntent`, `confirmPaymentIntent`,
`refundPayment`, the PaymentIntent and Refund types and `Booking.paymentIntent`, through the
same services as REST. Related rows are batch-loaded per request (no N+1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from handlers.domain.context import Domain, domain_of
from handlers.domain.gateway import Card
from handlers.domain.jsonapi import iso
from handlers.domain.payment_resources import allowed
from handlers.domain.payments import PaymentService
from handlers.domain.refunds import RefundService
from handlers.domain.unit import Unit, write
from handlers.graphql.batch import batch, caller
from handlers.graphql.payloads import user_code
from handlers.graphql.payment_loads import LOADS
from handlers.storage.models import PaymentIntent, Refund
from kkcore.errors import ApiError
from server.graphql import FALLBACK

query, mutation = QueryType(), MutationType()
intent_type, refund_type, booking_type = (
    ObjectType("PaymentIntent"),
    ObjectType("Refund"),
    ObjectType("Booking"),
)
# REST attribute -> GraphQL input field, for UserError.field.
FIELDS = {
    "booking_id": "input.bookingId",
    "amount": "input.amount",
    "currency": "input.currency",
    "status": "input.paymentIntentId",
    "payment_method": "input.paymentMethod",
}


def domain(info: Any) -> Domain:
    return domain_of(info.context["services"])


def load(info: Any, name: str, key: Any) -> Any:
    return batch(info, name, lambda keys: LOADS[name](domain(info), list(keys))).load(key)


def user_errors(error: ApiError) -> list[dict[str, Any]]:
    found = []
    for p in error.problems:
        attribute = (p.pointer or "").removeprefix("/data/attributes/").split("/")[0]
        field = FIELDS.get(attribute) or (p.parameter and f"input.{p.parameter}")
        found.append({"field": field, "message": p.detail, "code": user_code(p.code or error.code)})
    return found


async def mutate(info: Any, key: str, work: Callable[[Unit], Awaitable[Any]]) -> dict[str, Any]:
    """Run one write unit; a domain error becomes the payload's `errors`."""
    who = caller(info)
    try:
        async with write(domain(info), actor=who.subject) as unit:
            return {key: await work(unit), "errors": []}
    except ApiError as e:
        return {key: None, "errors": user_errors(e)}


@query.field("paymentIntent")
async def resolve_intent(_: Any, info: Any, id: str) -> PaymentIntent | None:
    who = caller(info)
    intent: PaymentIntent | None = await load(info, "intent", id)
    if intent is None or not await allowed(domain(info), who, intent.id):
        return None
    return intent


@mutation.field("createPaymentIntent")
async def resolve_create(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    attrs = {
        "booking_id": input["bookingId"],
        "amount": input["amount"],
        "currency": input["currency"],
        "payment_method_types": [t.lower() for t in input.get("paymentMethodTypes") or ()],
    }
    service = domain(info).get(PaymentService)
    return await mutate(info, "paymentIntent", lambda u: service.create(u, caller(info), attrs))


@mutation.field("confirmPaymentIntent")
async def resolve_confirm(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    raw = input["paymentMethod"]["card"]
    card = Card(raw["number"], raw["expMonth"], raw["expYear"], raw["cvc"])
    service, who = domain(info).get(PaymentService), caller(info)
    result = await mutate(
        info, "paymentIntent", lambda u: service.confirm(u, input["paymentIntentId"], card, who)
    )
    done = result["paymentIntent"]
    if done is None:
        return result
    if done.decline is not None:
        code, message = done.decline
        error = {"field": "input.paymentMethod.card.number", "message": f"{message} ({code})"}
        return {"paymentIntent": None, "errors": [{**error, "code": "PAYMENT_REQUIRED"}]}
    return {"paymentIntent": done.intent, "errors": []}


@mutation.field("refundPayment")
async def resolve_refund(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    reason = input.get("reason")
    service, who = domain(info).get(RefundService), caller(info)
    return await mutate(
        info,
        "refund",
        lambda u: service.refund(
            u, input["paymentIntentId"], input.get("amount"), reason and reason.lower(), who
        ),
    )


def attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def ours(resolver: Callable[..., Any]) -> Callable[..., Any]:
    """Resolve our rows; hand any other parent (an object the mocks made, in an app whose
    bookings are still mocked) to the field's mock resolver, kept by the server."""

    def resolve(obj: Any, info: Any, **kwargs: Any) -> Any:
        if isinstance(obj, (PaymentIntent, Refund)):
            return resolver(obj, info, **kwargs)
        field = info.parent_type.fields[info.field_name]
        fallback = (field.extensions or {}).get(FALLBACK)
        return fallback(obj, info, **kwargs) if fallback is not None else None

    return resolve


@intent_type.field("booking")
@ours
def resolve_intent_booking(intent: Any, _: Any) -> dict[str, Any]:
    return {"id": attr(intent, "booking_id")}


@intent_type.field("clientSecret")
@ours
def resolve_secret(intent: Any, info: Any) -> str | None:
    identity = info.context.get("identity")
    payer = identity is not None and identity.subject == attr(intent, "user_id")
    return attr(intent, "client_secret") if payer else None


@intent_type.field("refunds")
@ours
async def resolve_refunds(intent: Any, info: Any) -> list[Refund]:
    return list(await load(info, "refunds", attr(intent, "id")) or ())


@refund_type.field("paymentIntent")
@ours
async def resolve_refund_intent(refund: Any, info: Any) -> PaymentIntent | None:
    found: PaymentIntent | None = await load(info, "intent", attr(refund, "payment_intent_id"))
    return found


@booking_type.field("paymentIntent")
async def resolve_booking_intent(booking: Any, info: Any) -> Any:
    """The booking's intent: from the database for a booking row or `{"id"}` reference; a
    mock's booking object asks the mock (its intents live in the mock store)."""
    if not isinstance(booking, Mapping) and not hasattr(booking, "payment_intent_id"):
        fallback = info.parent_type.fields[info.field_name].extensions.get(FALLBACK)
        if fallback is not None:
            return fallback(booking, info)
    booking_id = attr(booking, "id")
    return await load(info, "of_booking", booking_id) if booking_id else None


def _plain(name: str) -> Callable[..., Any]:
    return ours(lambda obj, _: attr(obj, name))


def _upper(name: str) -> Callable[..., Any]:
    """An enum attribute as GraphQL spells it (REST's value upper-cased)."""

    def resolve(obj: Any, _: Any) -> Any:
        value = attr(obj, name)
        if isinstance(value, list):
            return [v.upper() for v in value]
        return value.upper() if isinstance(value, str) else None

    return ours(resolve)


def _time(name: str) -> Callable[..., Any]:
    return ours(lambda obj, _: iso(attr(obj, name)))


for kind in (intent_type, refund_type):
    for field in ("id", "amount", "currency"):
        kind.set_field(field, _plain(field))
intent_type.set_field("status", _upper("status"))
intent_type.set_field("paymentMethodTypes", _upper("payment_method_types"))
intent_type.set_field("amountRefunded", _plain("amount_refunded"))
intent_type.set_field("createdAt", _time("created_at"))
intent_type.set_field("updatedAt", _time("updated_at"))
refund_type.set_field("status", _upper("status"))
refund_type.set_field("reason", _upper("reason"))
refund_type.set_field("createdAt", _time("created_at"))

BINDABLES: list[Any] = [query, mutation, intent_type, refund_type, booking_type]
