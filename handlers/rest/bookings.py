"""Klear Karma's bookings: create (conflict-safe), read, update (lifecycle), cancel (policy)."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.booking_resources import booking_resource
from handlers.domain.bookings import BookingService
from handlers.domain.caller import caller_of
from handlers.domain.context import domain_of
from handlers.domain.idempotency import idempotent_once
from handlers.domain.jsonapi import parse_time, single
from handlers.domain.unit import SyncUnit
from handlers.lifecycle import domain_group
from kkcore.errors import Problem, Unprocessable
from server.responses import Reply

bookings = domain_group("bookings")


def _attributes(body: Any) -> dict[str, Any]:
    attrs = dict(body["data"]["attributes"])
    if "scheduled_at" in attrs:
        try:
            attrs["scheduled_at"] = parse_time(attrs["scheduled_at"])
        except ValueError as e:
            problem = Problem("Not a date-time", pointer="/data/attributes/scheduled_at")
            raise Unprocessable(problems=[problem]) from e
    return attrs


def _document(request: Any, booking: Any, status: int = 200) -> Reply:
    domain = domain_of(request.services)
    now = domain.clock()
    body = single(booking_resource(booking, now), request.request_id, now)
    headers = {"Location": f"/v1/bookings/{booking.id}"} if status == 201 else {}
    return Reply(status, body, headers)


@bookings.operation("createBooking")
async def create_booking(request: models.CreateBookingRequest) -> Reply:
    """Book a slot: 409 BOOKING_CONFLICT if taken, even by a concurrent request; a retry
    with the same `Idempotency-Key` and body replays the first 201."""
    service = domain_of(request.services).get(BookingService)
    actor, attrs = caller_of(request), _attributes(request.body)
    guarded = await service.guarded()

    def work(unit: SyncUnit) -> Any:  # (the whole unit is one call on the db's writer)
        return service.book(unit, actor, attrs, guarded)

    render = lambda b: _document(request, b, 201)  # noqa: E731
    return await idempotent_once(request, work, render, one_statement=guarded)


@bookings.operation("getBooking")
async def get_booking(request: models.GetBookingRequest) -> Reply:
    """A booking of the caller (x-owner checks the caller before and after)."""
    service = domain_of(request.services).get(BookingService)
    return _document(request, await service.get(request.params["booking_id"]))


@bookings.operation("updateBooking")
async def update_booking(request: models.UpdateBookingRequest) -> Reply:
    """Reschedule, edit or move along the lifecycle (422 INVALID_BOOKING_STATUS otherwise)."""
    service = domain_of(request.services).get(BookingService)
    booking = await service.update(
        caller_of(request),
        request.params["booking_id"],
        _attributes(request.body),
    )
    return _document(request, booking)


@bookings.operation("cancelBooking")
async def cancel_booking(request: models.CancelBookingRequest) -> Reply:
    """Cancel with the booking's cancellation policy (fee and refund in the answer)."""
    service = domain_of(request.services).get(BookingService)
    p = request.params
    booking = await service.cancel(caller_of(request), p["booking_id"], p.get("reason"))
    return _document(request, booking)
