"""Bookings: create without double booking (under any concurrency), read, the lifecycle of
BookingStatus, rescheduling, and cancellation with the booking's cancellation policy.

Concurrency: a write takes the practitioner's advisory lock first (`pg_advisory_xact_lock`
on PostgreSQL, see handlers.domain.booking_create; SQLite writers are serialized by
`BEGIN IMMEDIATE`), then checks overlaps; the unique index on active (practitioner, start)
is the last line (its violation is a 409 too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from handlers.domain.booking_create import (
    OVERLAP_GUARD,
    Plans,
    insert_booking,
    lock_practitioner,
)
from handlers.domain.booking_resources import booking_owners, booking_resource
from handlers.domain.caller import Caller
from handlers.domain.cancellation_policy import (
    free_until_hours,
    hours_ahead,
    price_split,
)
from handlers.domain.context import Domain
from handlers.domain.errors import (
    BookingConflict,
    InvalidBookingStatus,
    NotFound,
    PractitionerUnavailable,
    Unprocessable,
)
from handlers.domain.payment_resources import minor_units
from handlers.domain.refunds import RefundService
from handlers.domain.transitions import ACTIVE_FOR_CHANGES, check_transition, roles_of
from handlers.domain.unit import SyncUnit, Unit, read, write, write_once
from handlers.storage.models import Booking, PaymentIntent, Practitioner, Refund, Service
from handlers.storage.models.bookings import RELEASED
from handlers.storage.models.practitioners import SESSION_TYPE
from kkcore.errors import InsufficientPermissions, Problem

# The spec's UserId: a booking's user_id is its creator, so only a user may create one.
USER_ID = re.compile(r"^(user|test_user)_[A-Za-z0-9]+$")


def audience(b: Booking, p: Practitioner | None = None) -> set[str]:
    found = {b.user_id, b.practitioner_id}
    if p is not None and p.user_id:
        found.add(p.user_id)
    return found


def conflict(practitioner_id: str, at: datetime, detail: str | None = None) -> BookingConflict:
    when = at.isoformat().replace("+00:00", "Z")
    return BookingConflict(
        problems=[
            Problem(
                detail or f"{practitioner_id} already has a booking at {when}",
                pointer="/data/attributes/scheduled_at",
                meta={"practitioner_id": practitioner_id, "scheduled_at": when},
            )
        ]
    )


class BookingService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.plans: Plans = {}  # (PostgreSQL: plans kept for the next booking, booking_create)

    async def get(self, booking_id: str) -> Booking:
        async with read(self.domain) as session:
            found = await session.get(Booking, booking_id)
        if found is None:
            raise NotFound(f"No booking {booking_id}")
        return found

    async def many(self, ids: Sequence[str]) -> dict[str, Booking]:
        async with read(self.domain) as session:
            found = await session.scalars(select(Booking).where(Booking.id.in_(ids)))
            return {b.id: b for b in found}

    async def visible(self, actor: Caller, booking_id: str) -> bool:
        """Whether the actor may see and change the booking (as `x-owner` decides for REST):
        its user, its practitioner, their account, or an administrator."""
        async with read(self.domain) as session:
            owners = await booking_owners(session, booking_id)
        return owners is not None and (actor.admin or bool(owners & actor.ids))

    async def create(self, actor: Caller, attrs: dict[str, Any]) -> Any:
        """Book a slot for the actor: 409 BOOKING_CONFLICT if taken, even by a concurrent
        request; only a user books (a booking's user_id is its creator). A `BookingRow`."""
        guarded = await self.guarded()
        return await write_once(
            self.domain,
            lambda u: self.book(u, actor, attrs, guarded),
            actor=actor.subject,
            request_id=actor.request_id,
            one_statement=guarded,
        )

    async def guarded(self) -> bool:
        """Whether the database refuses overlapping bookings itself (PostgreSQL's exclusion
        constraint): then `book` is one statement (`write_once(one_statement=True)`)."""
        return await self.domain.db.has_constraint(OVERLAP_GUARD)

    def book(self, u: SyncUnit, actor: Caller, attrs: dict[str, Any], guarded: bool) -> Any:
        """`create` inside the caller's unit (REST's Idempotency-Key claims its key in it),
        synchronous: the whole unit is one call on the database's writer. The booking is the
        row it inserted, a `BookingRow` (no ORM object)."""
        _check_user(actor)
        start = attrs["scheduled_at"]
        end = start + timedelta(minutes=attrs["duration"])
        refused = partial(conflict, attrs["practitioner_id"], start)
        b, p = insert_booking(u, actor.subject, attrs, end, guarded, refused, self.plans)
        if b is None:
            raise conflict(p.id, start)
        data = booking_resource(b)
        who = {b.user_id, b.practitioner_id} | ({p.user_id} if p.user_id else set())
        u.emit("booking.created", data, who)
        u.audit("booking.created", "booking", b.id, status=b.status)
        return b

    async def update(self, actor: Caller, booking_id: str, attrs: dict[str, Any]) -> Booking:
        try:
            async with write(self.domain, actor=actor.subject, request_id=actor.request_id) as u:
                b, p = await self._locked(u.session, booking_id)
                roles = _roles(actor, b, p)
                moved = None
                if "status" in attrs and attrs["status"] != b.status:
                    check_transition(b.status, attrs["status"], roles)
                    moved = attrs["status"]
                if "scheduled_at" in attrs or "duration" in attrs:
                    _check_reschedule(b, roles, u.now)
                    await self._reschedule(u.session, b, attrs)
                if "session_type" in attrs:
                    _check_offer(
                        p, await _service_of(u.session, p, b.service_id), attrs["session_type"]
                    )
                    b.session_type = attrs["session_type"]
                for key in ("notes", "location"):
                    if key in attrs:
                        setattr(b, key, attrs[key])
                if moved == "cancelled":
                    await self._cancel(u, b, actor, attrs.get("cancellation_reason"))
                elif moved is not None:
                    b.status = moved
                b.updated_at = u.now
                await u.session.flush()
                self._changed(u, b, p, "updated", moved)
        except IntegrityError as e:
            raise conflict(b.practitioner_id, b.scheduled_at) from e
        return b

    async def cancel(self, actor: Caller, booking_id: str, reason: str | None) -> Booking:
        return (await self.cancel_with_refund(actor, booking_id, reason))[0]

    async def cancel_with_refund(
        self, actor: Caller, booking_id: str, reason: str | None
    ) -> tuple[Booking, Refund | None]:
        """Cancel by the policy; a paid booking gets its refund in the same transaction."""
        async with write(self.domain, actor=actor.subject, request_id=actor.request_id) as u:
            b, p = await self._locked(u.session, booking_id)
            check_transition(b.status, "cancelled", _roles(actor, b, p))
            refund = await self._cancel(u, b, actor, reason)
            b.updated_at = u.now
            await u.session.flush()
            self._changed(u, b, p, "updated", "cancelled")
        return b, refund

    async def _locked(self, session: AsyncSession, booking_id: str) -> tuple[Booking, Practitioner]:
        found = await session.get(Booking, booking_id)
        if found is None:
            raise NotFound(f"No booking {booking_id}")
        p = await _locked_practitioner(session, found.practitioner_id)
        b = await session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
        if b is None:
            raise NotFound(f"No booking {booking_id}")
        return b, p

    async def _reschedule(self, session: AsyncSession, b: Booking, attrs: dict[str, Any]) -> None:
        if b.status not in ACTIVE_FOR_CHANGES:
            raise InvalidBookingStatus(f"A {b.status} booking cannot be rescheduled")
        start = attrs.get("scheduled_at", b.scheduled_at)
        duration = attrs.get("duration", b.duration)
        end = start + timedelta(minutes=duration)
        await _check_free(session, b.practitioner_id, start, end, b.id)
        b.scheduled_at, b.ends_at, b.duration = start, end, duration

    async def _cancel(
        self, u: Unit, b: Booking, actor: Caller, reason: str | None
    ) -> Refund | None:
        """Cancel; what the policy gives back of a succeeded payment is refunded through the
        gateway (RefundService: the intent's amount_refunded, payment_status and events)."""
        by_practitioner = b.practitioner_id in actor.ids and b.user_id not in actor.ids
        fee, refund = price_split(b, u.now, waive=by_practitioner)
        b.status = "cancelled"
        b.cancelled_at, b.cancelled_by, b.cancellation_reason = u.now, actor.subject, reason
        b.cancellation_fee, b.refund_amount = fee, refund
        intent = await u.session.get(PaymentIntent, b.payment_intent_id or "")
        if intent is None or intent.status != "succeeded" or refund <= 0:
            return None
        left = intent.amount - intent.amount_refunded
        if left <= 0:
            return None
        back = min(minor_units(refund, intent.currency), left)  # intents count minor units
        refunds = self.domain.get(RefundService)
        return await refunds.refund(u, intent.id, back, "booking_cancelled")

    def _changed(self, u: Unit, b: Booking, p: Practitioner, verb: str, moved: str | None) -> None:
        data = booking_resource(b)
        who = audience(b, p)
        u.emit(f"booking.{verb}", data, who)
        if moved:
            u.emit(f"booking.{moved}", data, who)
        u.audit(f"booking.{moved or verb}", "booking", b.id, status=b.status)


def _check_user(actor: Caller) -> None:
    if not USER_ID.match(actor.subject):
        raise InsufficientPermissions(
            f"Sessions are booked by users; {actor.subject} is not a user id (user_... or "
            "test_user_...): sign in as the user who attends"
        )


def _roles(actor: Caller, b: Booking, p: Practitioner) -> frozenset[str]:
    """The actor's roles on the booking (handlers.domain.transitions); none is a 404, as
    `x-owner` answers for REST."""
    roles = roles_of(b, actor.ids, actor.admin, p.user_id)
    if not roles:
        raise NotFound(f"No booking {b.id}")
    return roles


def _check_reschedule(b: Booking, roles: frozenset[str], now: datetime) -> None:
    """A patient moves a session only while cancelling it would still be free: a later move
    would turn a late cancellation (fee kept) into a free one."""
    free = free_until_hours(b.cancellation_policy)
    if roles & {"practitioner", "admin"} or hours_ahead(b.scheduled_at, now) >= free:
        return
    raise InsufficientPermissions(
        problems=[
            Problem(
                f"Within {free:g} hours of the session only the practitioner "
                "may reschedule it (the cancellation policy's free window has closed)",
                pointer="/data/attributes/scheduled_at",
            )
        ]
    )


async def _locked_practitioner(session: AsyncSession, pid: str) -> Practitioner:
    # The advisory lock creates take too (handlers.domain.booking_create), not a row lock;
    # its tags by `selectinload` (a `refresh` of them first re-selected the row's key).
    await lock_practitioner(session, pid)
    p = await session.get(
        Practitioner, pid, populate_existing=True, options=[selectinload(Practitioner.tags)]
    )
    if p is None:
        raise Unprocessable(
            problems=[Problem(f"No practitioner {pid}", pointer="/data/attributes/practitioner_id")]
        )
    return p


async def _service_of(
    session: AsyncSession, p: Practitioner, service_id: str | None
) -> Service | None:
    if service_id is None:
        return None
    service = await session.get(Service, service_id)
    if service is None or service.practitioner_id != p.id:
        raise Unprocessable(
            problems=[
                Problem(
                    f"{p.id} has no service {service_id}", pointer="/data/attributes/service_id"
                )
            ]
        )
    return service


def _check_offer(p: Practitioner, service: Service | None, session_type: str) -> None:
    offered = set(service.session_types if service else p.tag_values(SESSION_TYPE))
    problem = None
    if not p.accepting_bookings:
        problem = Problem(
            f"{p.id} is not taking bookings", pointer="/data/attributes/practitioner_id"
        )
    elif session_type not in offered:
        problem = Problem(
            f"{p.id} does not offer {session_type} sessions",
            pointer="/data/attributes/session_type",
        )
    if problem is not None:
        raise PractitionerUnavailable(problems=[problem])


async def _check_free(
    session: AsyncSession, pid: str, start: datetime, end: datetime, ignore: str | None
) -> None:
    query = select(Booking.id, Booking.scheduled_at).where(
        Booking.practitioner_id == pid,
        Booking.status.not_in(RELEASED),
        Booking.scheduled_at < end,
        Booking.ends_at > start,
    )
    if ignore is not None:
        query = query.where(Booking.id != ignore)
    if (await session.execute(query.limit(1))).first() is not None:
        raise conflict(pid, start)
