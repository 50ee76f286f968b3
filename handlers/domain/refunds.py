"""Refunds of succeeded payment intents: in full or in part, never more than what is left.

Who (createRefund, refundPayment): the booking's practitioner (or their account) or an
administrator. The payer may not: a patient's money comes back only by cancelling the
booking under its cancellation policy (BookingService.cancel refunds what the policy gives
back, through `refund` without a `who`). The payer is 403 INSUFFICIENT_PERMISSIONS, anyone
else 404 (as `x-owner` answers); either way nothing is written.

Rules: an intent that has not succeeded, or has nothing left to refund, is
409 RESOURCE_CONFLICT; an `amount` above what is left is 422 VALIDATION_ERROR. The booking's
`payment_status` becomes `partially_refunded` or `refunded`; `payment.refunded` follows.
Concurrent refunds of one intent are serialized on the booking's row (as confirms are), so
their sum never exceeds the amount.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.booking_resources import booking_resource, people_of
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.gateway import gateway_of
from handlers.domain.payment_resources import intent_event, may_act
from handlers.domain.unit import Unit
from handlers.storage.ids import new_id
from handlers.storage.models import Booking, PaymentIntent, Practitioner, Refund
from kkcore.errors import InsufficientPermissions, Problem


async def _check_refunder(session: AsyncSession, who: Caller, booking: Booking) -> None:
    """Only the practitioner's side or an administrator issues a refund (see the module)."""
    if who.admin:
        return
    practitioner = await session.get(Practitioner, booking.practitioner_id)
    side = {booking.practitioner_id, practitioner.user_id if practitioner else None}
    if who.ids & side:
        return
    raise InsufficientPermissions(
        problems=[
            Problem(
                "Refunds are issued by the booking's practitioner or an administrator; a "
                "patient's money comes back by cancelling the booking (DELETE "
                f"/v1/bookings/{booking.id}), which refunds what its cancellation policy "
                "gives back",
                parameter="intent_id",
            )
        ]
    )


class RefundService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def refund(
        self,
        unit: Unit,
        intent_id: str,
        amount: int | None,
        reason: str | None,
        who: Caller | None = None,
    ) -> Refund:
        """A refund; with `who`, only the booking's practitioner or an administrator may
        (the payer: 403; anyone else: 404, as REST's x-owner)."""
        session = unit.session
        if who is not None and not await may_act(session, who, intent_id):
            raise NotFound(f"No payment intent {intent_id}")
        found = await session.get(PaymentIntent, intent_id)
        booking = None
        if found is not None:  # lock the booking first, then read the intent afresh
            booking = await session.scalar(
                select(Booking).where(Booking.id == found.booking_id).with_for_update()
            )
        intent = await session.get(PaymentIntent, intent_id, populate_existing=True)
        if intent is None or booking is None:
            raise NotFound(f"No payment intent {intent_id}")
        if who is not None:
            await _check_refunder(session, who, booking)
        left = intent.amount - intent.amount_refunded
        if intent.status != "succeeded" or left <= 0:
            detail = (
                f"The payment intent is {intent.status}"
                if intent.status != "succeeded"
                else "Nothing is left to refund"
            )
            raise ResourceConflict(problems=[Problem(detail, pointer="/data/attributes/status")])
        if amount is not None and amount > left:
            problem = Problem(
                f"amount must be at most what is left to refund: {left}",
                pointer="/data/attributes/amount",
                meta={"field": "amount", "validation_rule": "maximum"},
            )
            raise Unprocessable(problems=[problem])
        paid_back = left if amount is None else amount
        ok = await gateway_of(self.domain).refund(intent.id, paid_back, intent.currency)
        refund = Refund(
            id=new_id("refund"),
            payment_intent_id=intent.id,
            amount=paid_back,
            currency=intent.currency,
            status="succeeded" if ok else "failed",
            reason=reason,
            created_at=unit.now,
        )
        session.add(refund)
        if ok:
            intent.amount_refunded += paid_back
            whole = intent.amount_refunded >= intent.amount
            booking.payment_status = "refunded" if whole else "partially_refunded"
            intent.updated_at = booking.updated_at = unit.now
        await session.flush()
        if ok:
            people = await people_of(session, booking)
            unit.emit("payment.refunded", intent_event(intent), people)
            unit.emit("booking.updated", booking_resource(booking), people)  # payment_status
        unit.audit("refund.create", "refund", refund.id, amount=paid_back, intent=intent.id)
        return refund
