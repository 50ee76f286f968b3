"""Who charges cards: a `PaymentGateway` per app, chosen by its mode.

The sandbox simulates payments with the reference's test cards (the documents of the spec's
`x-mock-rules` on confirmPaymentIntent):

    4242424242424242  succeeds
    4000000000000002  declined            (402 PAYMENT_REQUIRED, card_declined)
    4000000000009995  insufficient funds  (402 PAYMENT_REQUIRED, insufficient_funds)
    4000000000003105  slow                (succeeds after `slow_seconds`, 2 s by default)
    4000000000005100  times out           (charged, but the answer never comes: the API's
                                           timeout answers 503, a retry gets the charge)

The sandbox provider, like a real one, charges a payment intent at most once: a retry of a
charge whose answer was lost gets that charge back instead of a second one (Stripe's
idempotent requests). Any other number passing the Luhn check succeeds (other providers'
test cards), one failing it is declined; an expired card is `expired_card`. Strict mode
(`kk serve`) uses the same SandboxGateway until a real provider is integrated: no real
money moves anywhere yet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from handlers.domain.context import Domain
from handlers.domain.gateway_timeout import timed_out, timeout_of

DECLINES = {
    "4000000000000002": ("card_declined", "The card was declined."),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds."),
}
SLOW, TIMES_OUT = "4000000000003105", "4000000000005100"
SLOW_SECONDS = 2.0
BRANDS = (("4", "visa"), ("5", "mastercard"), ("34", "amex"), ("37", "amex"), ("6", "discover"))


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


@dataclass(frozen=True)
class Charge:
    """What the gateway answered: `error` (code, message) when the card was not charged."""

    method: dict[str, Any]
    error: tuple[str, str] | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class PaymentGateway(Protocol):
    async def charge(self, card: Card, amount: int, currency: str, reference: str) -> Charge:
        """Charge `amount` (minor units) to the card; `reference` is the intent id."""
        ...

    async def refund(self, reference: str, amount: int, currency: str) -> bool:
        """Pay `amount` of the charge of `reference` back; False if the provider refused."""
        ...


def brand_of(number: str) -> str:
    return next((name for prefix, name in BRANDS if number.startswith(prefix)), "unknown")


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if i % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


class SandboxGateway:
    """Simulated charges and refunds (deterministic: the card number decides)."""

    def __init__(self, clock: Any, slow_seconds: float = SLOW_SECONDS) -> None:
        self.clock = clock
        self.slow_seconds = slow_seconds
        # reference -> its one successful charge (the provider's side: survives lost answers)
        self.charged: dict[str, Charge] = {}

    def forget(self) -> None:
        """Back to no charges (a sandbox reset puts the seeded intents back unpaid)."""
        self.charged.clear()

    async def charge(self, card: Card, amount: int, currency: str, reference: str) -> Charge:
        done = self.charged.get(reference)
        if done is not None:
            return done  # charged already (its answer was lost): that charge, not another
        if card.number == SLOW:
            await asyncio.sleep(self.slow_seconds)  # a timeout here cancels before charging
        charge = self._decide(card)
        if charge.succeeded:
            self.charged[reference] = charge
        if card.number == TIMES_OUT:
            await asyncio.Event().wait()  # charged; the answer never arrives
        return charge

    def _decide(self, card: Card) -> Charge:
        method = {
            "type": "card",
            "card": {
                "brand": brand_of(card.number),
                "last4": card.number[-4:],
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
            },
        }
        now: datetime = self.clock()
        if card.number in DECLINES:
            return Charge(method, DECLINES[card.number])
        if (card.exp_year, card.exp_month) < (now.year, now.month):
            return Charge(method, ("expired_card", "The card has expired."))
        if not luhn_valid(card.number):
            return Charge(method, ("card_declined", "The card was declined."))
        return Charge(method)

    async def refund(self, reference: str, amount: int, currency: str) -> bool:
        return True


def gateway_of(domain: Domain) -> PaymentGateway:
    """The app's gateway: `options["payment_gateway"]` if given (tests, a real provider),
    else the SandboxGateway (sandbox and, for now, strict mode); every call bounded by the
    payment timeout (handlers.domain.gateway_timeout)."""
    return domain.get(Bounded).gateway


def sandbox_gateway(domain: Domain) -> SandboxGateway:
    return domain.get(_Sandbox).gateway


class _Sandbox:
    def __init__(self, domain: Domain) -> None:
        slow = float(domain.options.get("payment_slow_seconds", SLOW_SECONDS))
        self.gateway = SandboxGateway(domain.clock, slow)


class Bounded:
    def __init__(self, domain: Domain) -> None:
        given = domain.options.get("payment_gateway")
        inner: PaymentGateway = given if given is not None else sandbox_gateway(domain)
        self.gateway: PaymentGateway = TimedGateway(inner, timeout_of(domain.options))


class TimedGateway:
    """A PaymentGateway whose every call ends within `seconds` (asyncio.timeout)."""

    def __init__(self, inner: PaymentGateway, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    async def charge(self, card: Card, amount: int, currency: str, reference: str) -> Charge:
        try:
            async with asyncio.timeout(self.seconds):
                return await self.inner.charge(card, amount, currency, reference)
        except TimeoutError as e:
            raise timed_out("charge", self.seconds) from e

    async def refund(self, reference: str, amount: int, currency: str) -> bool:
        try:
            async with asyncio.timeout(self.seconds):
                return await self.inner.refund(reference, amount, currency)
        except TimeoutError as e:
            raise timed_out("refund", self.seconds) from e
