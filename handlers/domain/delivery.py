"""The durable webhook delivery worker, driven by the outbox.

1. Dispatch: every outbox event not yet dispatched becomes one `pending` delivery row per
   active webhook subscribed to its type whose owner may read what it is about (its
   audience, server.webhook_audience); the event is marked dispatched in the same
   transaction (so a crash never plans an event twice or loses it).
2. Claim: due deliveries are leased in a committed transaction before they are posted (their
   `next_retry_at` moves past the timeout), each with a `sending` attempt row, so a worker
   that dies mid-post leaves them due again once the lease runs out (its attempt row then
   reads `interrupted`), and two workers never post the same attempt.
3. Post and record: the outcome is written in a second transaction, on the delivery and its
   attempt row: `succeeded`; `refused` (the target is not allowed, server.webhook_targets:
   never connected to, never retried); or `failed` with the next retry of the settings'
   schedule (seconds in the sandbox; 1 min, 5 min, 30 min, 2 h in `kk serve` or with
   `--webhook-backoff production`; up to 5 attempts). An endpoint failing for 3 days is
   deactivated.

Delivery is therefore at least once: a crash after the endpoint answered 2xx but before the
outcome was committed repeats that delivery (same event id, same delivery id; the log shows
both attempts). The window is one round trip; receivers that must not act twice dedupe by
the event `id` (`webhook-id`).

Events the mock engine publishes (operations still answered by mocks) enter the outbox
through the bus bridge, so they are delivered the same durable way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, and_, bindparam, or_, select, update

from handlers.domain.adopt import adopt_all
from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso
from handlers.domain.outbox_marks import DISPATCHED, HOOKS, MARK, PENDING, WAITING, OutboxMarks
from handlers.domain.webhooks import pending_row
from handlers.storage.models import OutboxEvent, Webhook, WebhookAttempt, WebhookDelivery
from server import metrics, tracing
from server.events import Event
from server.webhook_audience import Audience, Grant, subscriptions_config
from server.webhooks import Outcome, WebhookSettings

log = logging.getLogger("kk.webhooks")
DEACTIVATE_AFTER = timedelta(days=3)
BATCH = 20
# After a wake, how long the loop waits for more events before its round: a burst of
# bookings is dispatched (and marked published) in one round, not one round per event.
GATHER_S = 0.02
ADOPT_BATCH = 500  # bus events checked against the outbox in one read (handlers.domain.adopt)
INTERRUPTED = "no outcome recorded: the server stopped during this attempt"


_NOW = bindparam("now", type_=WebhookDelivery.next_retry_at.type)
_DUE_NOW = or_(
    and_(
        WebhookDelivery.status == "pending",
        or_(WebhookDelivery.next_retry_at.is_(None), WebhookDelivery.next_retry_at <= _NOW),
    ),
    and_(WebhookDelivery.status == "failed", WebhookDelivery.next_retry_at <= _NOW),
)
# What an idle round peeks at before it opens a write transaction.
_NEW = select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).limit(1)
_DUE = select(WebhookDelivery.id).where(_DUE_NOW).limit(1)


def _aware(at: datetime) -> datetime:
    """SQLite gives naive datetimes back (stored in UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def envelope(event: OutboxEvent) -> bytes:
    """The body of every delivery of an event: `{id, type, created_at, data}`."""
    data = event.data
    if "attributes" in data:
        data = {k: data[k] for k in ("id", "type", "attributes") if k in data}
    body = {"id": event.id, "type": event.type, "created_at": iso(event.created_at), "data": data}
    return orjson.dumps(body)


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery: what to post where, and its row in the attempt log."""

    id: str
    webhook_id: str
    attempt: int
    event_id: str
    event_type: str
    url: str
    secret: str
    payload: bytes
    row: int


class DeliveryWorker:
    def __init__(
        self,
        domain: Domain,
        settings: WebhookSettings,
        audience: Audience,
        *,
        poll: float = 1.0,
    ) -> None:
        self.domain = domain
        self.settings = settings
        self.audience = audience
        self.poll = poll
        self.lease = timedelta(seconds=settings.timeout * 2 + 1)
        self._wake = asyncio.Event()
        self.marks = OutboxMarks(self.wake)
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Open the HTTP client and run the loop (and the bus bridge) in the background."""
        self.open()
        self.domain.published = self.marks
        self._tasks = [asyncio.create_task(self._loop())]
        if self.domain.bus is not None:
            self._tasks.append(asyncio.create_task(self._bridge()))

    def open(self) -> None:
        """Only the HTTP client: rounds are then driven by calling `run_once`."""
        self._client = self.settings.client()

    async def stop(self) -> None:
        if self.domain.published is self.marks:
            self.domain.published = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.marks.pending:  # (best effort: the mark is bookkeeping, nothing reads it)
            with contextlib.suppress(Exception):
                await self.dispatch()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(GATHER_S)
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:  # the database may be briefly unavailable: try again later
                log.exception("webhook delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def run_once(self) -> int:
        """Dispatch new events, then post every due delivery; returns attempts made."""
        while await self.dispatch():
            pass
        made = 0
        while attempts := await self.claim():
            await asyncio.gather(*(self.post(a) for a in attempts))
            made += len(attempts)
        return made

    # -- the three steps ----------------------------------------------------------------------

    async def dispatch(self) -> bool:
        """Plan the deliveries of a batch of new outbox events, and set the published mark
        of the events this process published since the last round; True if more may wait."""
        now = datetime.now(UTC)
        marks = self.marks.take()
        if not marks and not await self._waiting(_NEW):
            metrics.outbox_lag(0.0)
            return False  # (an idle round takes no write lock: SQLite has one for all)
        try:
            events, planned = await self._plan(now, marks)
        except BaseException:
            self.marks.give_back(marks)
            raise
        if len(events) < 100:
            metrics.outbox_lag(0.0)
        return len(events) == 100

    async def _plan(self, now: datetime, marks: list[str]) -> tuple[list[Any], int]:
        """One call on SQLite's writer: never the write lock held across the loop's turns
        while the bookings' writer waits (40 % of its time under wrk -c32, profiled)."""
        waiting = WAITING
        if self.domain.db.dialect == "postgresql":
            waiting = waiting.with_for_update(skip_locked=True)

        def unit(conn: Connection) -> tuple[list[Any], int]:
            if marks:
                conn.execute(MARK, {"ids": marks, "at": now})
            events = list(conn.execute(waiting).all())
            if not events:
                return events, 0
            conn.execute(DISPATCHED, {"ids": [e.id for e in events], "at": now})
            rows = self._deliveries(events, conn.execute(HOOKS).all())
            if rows:
                conn.execute(PENDING, rows)
            return events, len(rows)

        events, planned = await self.domain.db.run_unit(unit, lambda done: done[1] > 0)
        # how long the oldest waiting event has waited; 0 once a round drains the outbox
        oldest = events[0].created_at if events else None
        metrics.outbox_lag((now - _aware(oldest)).total_seconds() if oldest else 0.0)
        return events, planned

    def _deliveries(self, events: list[Any], hooks: Sequence[Any]) -> list[dict[str, Any]]:
        grants = {h.id: Grant.from_json(h.owner_grant) for h in hooks}
        return [
            pending_row(hook.id, event.id, event.type, event.created_at)
            for event in events
            if event.type in self.audience.required
            for hook in hooks
            if event.type in hook.events
            and self.audience.receives(grants[hook.id], event.type, event.audience)
        ]

    async def _waiting(self, query: Any, **params: Any) -> bool:
        """Whether a round has anything to do (a read: no write lock when it has not)."""
        async with self.domain.db.session() as session:
            return (await session.execute(query, params)).first() is not None

    async def claim(self) -> list[Attempt]:
        """Lease a batch of due deliveries (committed before anything is posted), each with
        a `sending` attempt row; attempts a crash left `sending` become `interrupted`."""
        now = datetime.now(UTC)
        if not await self._waiting(_DUE, now=now):
            return []
        claimed: list[Attempt] = []
        async with self.domain.db.transaction() as session:
            query = (
                select(WebhookDelivery, Webhook, OutboxEvent)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                .where(_DUE_NOW)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
                .limit(BATCH)
            )
            if self.domain.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
            rows = (await session.execute(query, {"now": now})).all()
            if rows:
                await session.execute(
                    update(WebhookAttempt)
                    .where(
                        WebhookAttempt.delivery_id.in_([d.id for d, _, _ in rows]),
                        WebhookAttempt.status == "sending",
                    )
                    .values(status="interrupted", error=INTERRUPTED)
                )
            for delivery, hook, event in rows:
                if delivery.status == "failed":
                    delivery.attempt += 1
                if not hook.active:  # deactivated since it was planned: nothing is sent
                    delivery.status, delivery.next_retry_at = "failed", None
                    continue
                delivery.next_retry_at = now + self.lease
                row = WebhookAttempt(
                    delivery_id=delivery.id,
                    attempt=delivery.attempt,
                    status="sending",
                    started_at=now,
                )
                session.add(row)
                await session.flush()
                claimed.append(
                    Attempt(
                        delivery.id,
                        hook.id,
                        delivery.attempt,
                        event.id,
                        delivery.event_type,
                        hook.url,
                        hook.secret,
                        envelope(event),
                        row.id,
                    )
                )
        return claimed

    async def post(self, a: Attempt) -> None:
        s = self.settings
        headers = s.headers(a.secret, a.payload, a.event_type, a.id, a.event_id)
        with tracing.delivery_span(a.event_id, a.event_type, a.url, a.attempt) as span:
            if self._client is None:
                outcome = Outcome("failed", datetime.now(UTC), error="the worker is stopped")
            else:
                outcome = await s.send(self._client, a.webhook_id, a.url, a.payload, headers)
            tracing.record_outcome(span, outcome.status, outcome.response_status)
        metrics.webhook_attempt(a.event_type, a.attempt, outcome.ok)
        await self.record(a, outcome)

    async def record(self, a: Attempt, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        async with self.domain.db.transaction() as session:
            delivery = await session.get(WebhookDelivery, a.id)
            hook = await session.get(Webhook, a.webhook_id)
            row = await session.get(WebhookAttempt, a.row)
            if delivery is None or hook is None:  # deleted meanwhile
                return
            if row is not None:
                row.status, row.duration_ms = outcome.status, outcome.duration_ms
                row.response_status, row.error = outcome.response_status, outcome.error
                row.started_at = outcome.started_at
            delivery.response_status = outcome.response_status
            delivery.duration_ms = outcome.duration_ms
            delivery.status = outcome.status
            delivery.next_retry_at = None
            if outcome.ok:
                delivery.delivered_at = now
                hook.failing_since = None
                return
            if outcome.status == "failed" and a.attempt < self.settings.attempts:
                delivery.next_retry_at = now + timedelta(seconds=self.settings.delay(a.attempt))
            hook.failing_since = hook.failing_since or now
            if now - hook.failing_since > DEACTIVATE_AFTER:
                hook.active = False

    # -- events of the mock engine ------------------------------------------------------------

    async def _bridge(self) -> None:
        """Put bus events of webhook types that are not in the outbox yet (the mock engine's)
        into it, and wake the loop for them. A handler's event, this process's or another
        worker's, is in the outbox already (`Event.stored`; this process's publication woke
        the loop, another worker's is dispatched by that worker's round or, should it die,
        the next poll): only the others are looked up (they were, every event a worker heard
        from another, one `SELECT` a batch: bench/RESULTS.md, "Serve POST: who spends the
        CPU")."""
        if self.domain.bus is None:
            return
        subscription = self.domain.bus.subscribe(None)
        pending: list[Event] = []  # (checked together: handlers.domain.adopt)
        adopting: asyncio.Task[None] | None = None
        try:
            async for event in subscription:
                if event.stored or event.type not in self.audience.required:
                    continue
                pending.append(event)
                if adopting is None or adopting.done():
                    adopting = asyncio.create_task(self._adopt(pending))
        finally:
            subscription.close()
            if adopting is not None:
                adopting.cancel()

    async def _adopt(self, pending: list[Event]) -> None:
        """The events queued, a batch at a time (those arriving meanwhile: the next)."""
        while pending:  # (at most ADOPT_BATCH ids in one `IN`: drivers bound parameters)
            batch = pending[:ADOPT_BATCH]
            del pending[:ADOPT_BATCH]
            with contextlib.suppress(Exception):
                if await adopt_all(self.domain, batch):
                    self.wake()


def worker_for(
    domain: Domain, table: dict[str, Any], options: dict[str, Any], mode: str = "sandbox"
) -> DeliveryWorker:
    """The app's worker: headers from `x-mock-webhook` of the operation that registers
    webhooks, the audience rule from the spec's `webhooks`, options as the sandbox takes them.
    `kk serve` (mode strict) retries on the production schedule and delivers to public
    addresses only, unless the options say otherwise."""
    config = subscriptions_config(table)  # type: ignore[arg-type]
    if mode == "strict":
        options = {"webhook_backoff": "production", "webhook_loopback": False, **options}
    settings = WebhookSettings.from_options(config, options)
    return DeliveryWorker(
        domain,
        settings,
        Audience(table, config),  # type: ignore[arg-type]
        poll=float(options.get("webhook_poll", 1.0)),
    )
