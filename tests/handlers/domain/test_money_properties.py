"""The money paths of the domain, on SQLite and PostgreSQL, through the services: charges
(success, decline, insufficient funds, expired, double confirm), intents (price, currency,
whose), refunds (partial, full, over-refund, who may, a refusing provider) and cancellation
refunds by the policy."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.domain.bookings import BookingService
from handlers.domain.caller import Caller
from handlers.domain.cancellation_policy import price_split
from handlers.domain.context import Domain, fixed_clock
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.gateway import Card, Charge
from handlers.domain.payments import PaymentService
from handlers.domain.refunds import RefundService
from handlers.domain.unit import write
from handlers.storage.database import Database
from handlers.storage.models import Booking, PaymentIntent
from kkcore.errors import InsufficientPermissions
from tests.handlers.people import T0, practitioner_row, user_row

pytestmark = pytest.mark.anyio
NOW = "2024-01-01T00:00:00Z"
COUNTER = itertools.count()
SUCCEEDS, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
ADMIN = Caller("user_admin", frozenset({"user_admin"}), frozenset({"admin:platform"}))
SLOW = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def card(number: str = SUCCEEDS, year: int = 2030) -> Card:
    return Card(number, 12, year, "123")


async def booked(
    domain: Domain, price: int = 80, hours_ahead: float = 72, policy: dict[str, Any] | None = None
) -> tuple[Booking, Caller, Caller]:
    """A pending booking; (it, its patient, its practitioner) as payers."""
    n = next(COUNTER)
    user, prac = f"user_m{n}", f"prac_m{n}"
    when = T0 + timedelta(hours=hours_ahead)
    b = Booking(
        id=f"booking_m{n}",
        user_id=user,
        practitioner_id=prac,
        scheduled_at=when,
        ends_at=when + timedelta(hours=1),
        duration=60,
        status="confirmed",
        session_type="video_call",
        price_amount=price,
        price_currency="USD",
        payment_status="pending",
        cancellation_policy=policy or {"free_until_hours": 24, "late_fee_percent": 50},
    )
    async with domain.db.transaction() as session:
        session.add_all([user_row(user), practitioner_row(prac)])
        await session.flush()
        session.add(b)
    return b, Caller(user, frozenset({user})), Caller(prac, frozenset({prac}))


async def intent_of(domain: Domain, b: Booking, who: Caller) -> PaymentIntent:
    attrs = {"booking_id": b.id, "amount": b.price_amount * 100, "currency": "USD"}
    async with write(domain) as unit:
        return await domain.get(PaymentService).create(unit, who, attrs)


async def paid(domain: Domain, b: Booking, who: Caller) -> PaymentIntent:
    intent = await intent_of(domain, b, who)
    async with write(domain) as unit:
        done = await domain.get(PaymentService).confirm(unit, intent.id, card(), who)
    assert done.decline is None
    return done.intent


async def refund(domain: Domain, intent_id: str, amount: int | None, who: Caller | None) -> Any:
    async with write(domain) as unit:
        return await domain.get(RefundService).refund(unit, intent_id, amount, "duplicate", who)


async def row(domain: Domain, model: Any, key: str) -> Any:
    async with domain.db.session() as session:
        return await session.get_one(model, key)


@SLOW
@given(amounts=st.lists(st.integers(1, 9000), min_size=1, max_size=5))
async def test_refunds_never_exceed_the_amount_and_mark_the_booking(
    database: Database, amounts: list[int]
) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, practitioner = await booked(domain)
    intent = await paid(domain, b, patient)
    refunded = 0
    for amount in amounts:
        left = 8000 - refunded
        if left == 0:
            with pytest.raises(ResourceConflict):
                await refund(domain, intent.id, amount, practitioner)
        elif amount > left:
            with pytest.raises(Unprocessable):
                await refund(domain, intent.id, amount, practitioner)
        else:
            made = await refund(domain, intent.id, amount, practitioner)
            assert (made.amount, made.status) == (amount, "succeeded")
            refunded += amount
    assert (await row(domain, PaymentIntent, intent.id)).amount_refunded == refunded
    status = (await row(domain, Booking, b.id)).payment_status
    expected = {0: "succeeded", 8000: "refunded"}.get(refunded, "partially_refunded")
    assert status == expected


async def test_a_full_refund_pays_back_what_is_left(database: Database) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    intent = await paid(domain, b, patient)
    await refund(domain, intent.id, 3000, ADMIN)
    rest = await refund(domain, intent.id, None, ADMIN)
    assert rest.amount == 5000
    assert (await row(domain, Booking, b.id)).payment_status == "refunded"
    with pytest.raises(ResourceConflict):
        await refund(domain, intent.id, None, ADMIN)


async def test_the_payer_is_refused_and_a_stranger_sees_nothing(database: Database) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    intent = await paid(domain, b, patient)
    with pytest.raises(InsufficientPermissions):
        await refund(domain, intent.id, None, patient)
    with pytest.raises(NotFound):
        await refund(domain, intent.id, None, Caller("user_x", frozenset({"user_x"})))
    with pytest.raises(NotFound):
        await refund(domain, "pi_nothing", None, ADMIN)
    assert (await row(domain, PaymentIntent, intent.id)).amount_refunded == 0


async def test_an_unpaid_intent_has_nothing_to_refund(database: Database) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    intent = await intent_of(domain, b, patient)
    with pytest.raises(ResourceConflict):
        await refund(domain, intent.id, None, ADMIN)


class RefusingGateway:
    """A provider that charges but refuses every refund."""

    async def charge(self, card: Card, amount: int, currency: str, reference: str) -> Charge:
        return Charge({"type": "card"})

    async def refund(self, reference: str, amount: int, currency: str) -> bool:
        return False


async def test_a_refund_the_provider_refuses_is_recorded_failed_and_changes_nothing(
    database: Database,
) -> None:
    gateway = {"payment_gateway": RefusingGateway()}
    domain = Domain(db=database, clock=fixed_clock(NOW), options=gateway)
    b, patient, _ = await booked(domain)
    intent = await paid(domain, b, patient)
    made = await refund(domain, intent.id, 1000, ADMIN)
    assert made.status == "failed"
    assert (await row(domain, PaymentIntent, intent.id)).amount_refunded == 0
    assert (await row(domain, Booking, b.id)).payment_status == "succeeded"


@pytest.mark.parametrize(
    ("number", "year", "code"),
    [
        (DECLINED, 2030, "card_declined"),
        (NO_FUNDS, 2030, "insufficient_funds"),
        (SUCCEEDS, 2020, "expired_card"),
        ("4242424242424241", 2030, "card_declined"),  # fails the Luhn check
    ],
)
async def test_a_refused_card_is_recorded_and_the_intent_stays_payable(
    database: Database, number: str, year: int, code: str
) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    intent = await intent_of(domain, b, patient)
    service = domain.get(PaymentService)
    async with write(domain) as unit:
        done = await service.confirm(unit, intent.id, card(number, year), patient)
    assert done.decline is not None and done.decline[0] == code
    assert done.intent.status == "requires_payment_method"
    assert (await row(domain, Booking, b.id)).payment_status == "failed"
    async with write(domain) as unit:
        again = await service.confirm(unit, intent.id, card(), patient)
    assert again.decline is None and again.intent.status == "succeeded"


async def test_a_paid_intent_is_not_confirmed_twice_nor_its_booking_paid_again(
    database: Database,
) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    intent = await paid(domain, b, patient)
    service = domain.get(PaymentService)
    with pytest.raises(ResourceConflict):
        async with write(domain) as unit:
            await service.confirm(unit, intent.id, card(), patient)
    with pytest.raises(ResourceConflict):
        await intent_of(domain, b, patient)
    with pytest.raises(NotFound):
        async with write(domain) as unit:
            await service.confirm(unit, "pi_nothing", card(), patient)


@pytest.mark.parametrize(
    ("attrs", "error"),
    [
        ({"amount": 1}, Unprocessable),
        ({"currency": "EUR"}, Unprocessable),
        ({"booking_id": "booking_nothing"}, NotFound),
    ],
)
async def test_an_intent_must_be_for_an_own_booking_at_its_price(
    database: Database, attrs: dict[str, Any], error: type[Exception]
) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, _ = await booked(domain)
    wanted = {"booking_id": b.id, "amount": 8000, "currency": "USD", **attrs}
    with pytest.raises(error):
        async with write(domain) as unit:
            await domain.get(PaymentService).create(unit, patient, wanted)


async def test_an_intent_is_read_by_its_people_only(database: Database) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    b, patient, practitioner = await booked(domain)
    intent = await intent_of(domain, b, patient)
    service = domain.get(PaymentService)
    assert (await service.get(intent.id, practitioner)).id == intent.id
    assert (await service.get(intent.id)).id == intent.id
    with pytest.raises(NotFound):
        await service.get(intent.id, Caller("user_x", frozenset({"user_x"})))


@SLOW
@given(
    hours=st.floats(1, 96),
    late_fee=st.integers(0, 100),
    by_practitioner=st.booleans(),
)
async def test_a_cancellation_refunds_what_the_policy_gives_back(
    database: Database, hours: float, late_fee: int, by_practitioner: bool
) -> None:
    domain = Domain(db=database, clock=fixed_clock(NOW))
    policy = {"free_until_hours": 24, "late_fee_percent": late_fee}
    b, patient, practitioner = await booked(domain, price=90, hours_ahead=hours, policy=policy)
    await paid(domain, b, patient)
    who = practitioner if by_practitioner else patient
    actor = Caller(who.subject, who.ids)
    done, made = await domain.get(BookingService).cancel_with_refund(actor, b.id, "ill")
    fee, back = price_split(b, T0, waive=by_practitioner)
    assert (done.cancellation_fee, done.refund_amount) == (fee, back)
    assert (made.amount if made else 0) == back * 100
    assert fee == (0 if by_practitioner or hours >= 24 else round(90 * late_fee / 100))
