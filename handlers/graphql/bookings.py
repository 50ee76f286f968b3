"""GraphQL of bookings: `booking`, `createBooking`, `updateBooking`, `cancelBooking`,
`bookingUpdates` and the Booking type, through the same service as REST
(handlers/domain/bookings.py): the same conflict detection, state machine and cancellation
policy, and a paid booking's refund on cancellation.

Object-level access is checked here, as REST's `x-owner` does: a booking is visible to its
user, its practitioner (and their account) and administrators; to anyone else it does not
exist (null, or RESOURCE_NOT_FOUND in a payload).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, SubscriptionType
from graphql import GraphQLResolveInfo
from sqlalchemy import select

from handlers.domain.booking_resources import booking_resource
from handlers.domain.bookings import BookingService
from handlers.domain.directory import money
from handlers.domain.errors import NotFound
from handlers.domain.jsonapi import parse_time
from handlers.domain.unit import read
from handlers.graphql.batch import batch, caller, domain
from handlers.graphql.nodes import complete, id_of, node, rest_input
from handlers.graphql.payloads import invalid, payload
from handlers.storage.models import Booking, Service
from kkcore.errors import Problem, Unprocessable

query, mutation, subscription = QueryType(), MutationType(), SubscriptionType()
booking_type = ObjectType("Booking")
# Booking events a subscriber hears once per change (booking.cancelled etc. repeat an update).
CHANGES = frozenset({"booking.created", "booking.updated"})


def session_of(b: Mapping[str, Any], service: Service | None) -> dict[str, Any]:
    """Booking.service: the booked service, or for a booking made without one, the session
    itself (the practitioner's base price for the booked length)."""
    if service is not None:
        return {
            "id": service.id,
            "name": service.name,
            "description": None,
            "duration": service.duration,
            "price": money(service.price_amount, service.price_currency),
            "sessionTypes": [t.upper() for t in service.session_types],
        }
    return {
        "id": f"session_{b['id']}",
        "name": "Session",
        "description": "Booked without a service, at the practitioner's base price",
        "duration": b["duration"],
        "price": b["price"],
        "sessionTypes": [b["type"]],
    }


async def booking_nodes(
    service: BookingService, rows: Sequence[Booking]
) -> dict[str, dict[str, Any]]:
    """Booking rows as GraphQL Booking objects, their services read in one query."""
    wanted = {b.service_id for b in rows if b.service_id}
    services: dict[str, Service] = {}
    if wanted:
        async with read(service.domain) as session:
            found = await session.scalars(select(Service).where(Service.id.in_(wanted)))
            services = {s.id: s for s in found}
    out, now = {}, service.domain.clock()
    for b in rows:
        shown = node(booking_resource(b, now))
        shown["service"] = session_of(shown, services.get(b.service_id or ""))
        out[b.id] = shown
    return out


async def load_booking(info: GraphQLResolveInfo[Any], booking_id: str | None) -> Any:
    """A Booking object by id, batched with its siblings (one query per tick)."""
    if booking_id is None:
        return None
    service = domain(info).get(BookingService)

    async def fetch(ids: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        return await booking_nodes(service, list((await service.many(list(ids))).values()))

    return await batch(info, "booking.nodes", fetch).load(booking_id)


@query.field("booking")
async def resolve_booking(_: Any, info: GraphQLResolveInfo[Any], id: str) -> Any:
    """Null unless the caller is a party of the booking or an administrator."""
    service = domain(info).get(BookingService)
    if not await service.visible(caller(info), id):
        return None
    return await load_booking(info, id)


# Attributes whose null means "clear it" in an update; any other null means "not given".
CLEARABLE = frozenset({"notes", "location"})


def _rest(info: GraphQLResolveInfo[Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A mutation input as the REST operation's attributes, as JSON (for its schema)."""
    return {
        k: v
        for k, v in rest_input(info, given).items()
        if k != "booking_id" and (v is not None or (k in CLEARABLE and "bookingId" in given))
    }


def _attributes(info: GraphQLResolveInfo[Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A mutation input as the service's attributes (times parsed)."""
    attrs = _rest(info, given)
    if "scheduled_at" in attrs:
        try:
            attrs["scheduled_at"] = parse_time(attrs["scheduled_at"])
        except (TypeError, ValueError) as e:
            problem = Problem("Not a date-time", pointer="/data/attributes/scheduled_at")
            raise Unprocessable(problems=[problem]) from e
    return attrs


async def _shown(info: GraphQLResolveInfo[Any], b: Booking) -> dict[str, Any]:
    return (await booking_nodes(domain(info).get(BookingService), [b]))[b.id]


async def _owned(info: GraphQLResolveInfo[Any], booking_id: str) -> None:
    if not await domain(info).get(BookingService).visible(caller(info), booking_id):
        raise NotFound(f"No booking {booking_id}")


@mutation.field("createBooking")
async def resolve_create(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    problems = invalid("createBooking", "booking", _rest(info, input))
    service = domain(info).get(BookingService)

    async def run() -> dict[str, Any]:
        return await _shown(info, await service.create(caller(info), _attributes(info, input)))

    return await payload("booking", run, problems)


@mutation.field("updateBooking")
async def resolve_update(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    problems = invalid("updateBooking", "booking", _rest(info, input))
    service = domain(info).get(BookingService)

    async def run() -> dict[str, Any]:
        await _owned(info, input["bookingId"])
        found = await service.update(caller(info), input["bookingId"], _attributes(info, input))
        return await _shown(info, found)

    return await payload("booking", run, problems)


@mutation.field("cancelBooking")
async def resolve_cancel(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    """Cancel by the booking's policy; `refund` is what a paid booking got back."""
    service = domain(info).get(BookingService)
    refund: list[Any] = [None]

    async def run() -> dict[str, Any]:
        await _owned(info, input["bookingId"])
        found, refund[0] = await service.cancel_with_refund(
            caller(info), input["bookingId"], input.get("reason")
        )
        return await _shown(info, found)

    done = await payload("booking", run)
    return {**done, "refund": refund[0]}


@subscription.source("bookingUpdates")  # type: ignore[arg-type]  # (a coroutine is fine)
async def watch_bookings(
    _: Any,
    info: GraphQLResolveInfo[Any],
    userId: str,  # noqa: N803
) -> AsyncGenerator[dict[str, Any], None]:
    """Each change of the user's bookings, once; the user themself or an administrator (else
    the subscription is refused before it starts)."""
    caller(info).require(userId)
    return _changes(info.context["bus"].subscribe(["bookings"]), userId)


async def _changes(feed: Any, user_id: str) -> AsyncGenerator[dict[str, Any], None]:
    try:
        async for event in feed:
            data = event.data
            attributes = data.get("attributes") if isinstance(data, Mapping) else None
            if event.type in CHANGES and (attributes or {}).get("user_id") == user_id:
                yield data
    finally:
        feed.close()


@subscription.field("bookingUpdates")
async def resolve_booking_update(
    data: Mapping[str, Any], info: GraphQLResolveInfo[Any], **_: Any
) -> Any:
    """The booking as the event left it (its service read afresh)."""
    shown = node(data)
    sid = (data.get("attributes") or {}).get("service_id")
    found = None
    if sid:
        async with read(domain(info)) as session:
            found = await session.get(Service, sid)
    shown["service"] = session_of(shown, found)
    return shown


BOOKING_FIELDS = (
    "user",
    "practitioner",
    "service",
    "scheduledAt",
    "duration",
    "status",
    "type",
    "location",
    "notes",
    "price",
    "paymentStatus",
    "cancellationPolicy",
    "refundIfCancelledNow",
    "cancellation",
    "createdAt",
    "updatedAt",
)
for name in BOOKING_FIELDS:
    booking_type.set_field(name, complete(load_booking))
booking_type.set_field("id", lambda obj, _: id_of(obj))

BINDABLES: list[Any] = [query, mutation, subscription, booking_type]
