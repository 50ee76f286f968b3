"""Webhook subscriptions and their delivery log: register (409 when the caller already has a
webhook on that URL; a generated secret shown once), read, delete (pending retries dropped),
list deliveries with every attempt, redeliver.

A webhook belongs to the caller that registered it, with that caller's grant (what it may
read, server.webhook_audience): it is listed, read and managed by its owner (or an
`admin:platform` caller) and receives only the events its owner may read. URLs are unique
per owner, so the sandbox's seeded example webhook never blocks the reference's own
registration example. The seeded examples are stored inactive: they never send.

Deliveries themselves are made by `handlers.domain.delivery` from the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.ownership import owns
from handlers.domain.unit import read, write
from handlers.storage.ids import new_id
from handlers.storage.models import OutboxEvent, Webhook, WebhookAttempt, WebhookDelivery
from handlers.storage.reseed import renewed
from handlers.storage.seed import loader
from kkcore.errors import Conflict, NotFound, Problem
from server.webhook_audience import Grant
from server.webhook_targets import redact
from server.webhooks import new_secret

SEED_OWNER = "kk_sandbox_seed"


def webhook_resource(w: Webhook) -> dict[str, Any]:
    return {
        "id": w.id,
        "type": "webhook",
        "attributes": {
            "url": redact(w.url),
            "events": list(w.events),
            "active": w.active,
            "created_at": iso(w.created_at),
            "updated_at": iso(w.updated_at),
        },
    }


def attempt_resource(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempt": a.attempt,
        "status": a.status,
        "started_at": iso(a.started_at),
        "duration_ms": a.duration_ms,
        "response_status": a.response_status,
        "error": a.error,
    }


def delivery_resource(
    d: WebhookDelivery, attempts: Iterable[WebhookAttempt] = ()
) -> dict[str, Any]:
    return {
        "id": d.id,
        "type": "webhook_delivery",
        "attributes": {
            "event_id": d.event_id,
            "event_type": d.event_type,
            "status": d.status,
            "attempt": d.attempt,
            "response_status": d.response_status,
            "duration_ms": d.duration_ms,
            "next_retry_at": iso(d.next_retry_at),
            "delivered_at": iso(d.delivered_at),
            "created_at": iso(d.created_at),
            "attempts": [attempt_resource(a) for a in attempts],
        },
        "relationships": {"webhook": ref("webhook", d.webhook_id)},
    }


@owns("webhook")
async def webhook_owners(session: AsyncSession, webhook_id: str) -> frozenset[str] | None:
    """Whose a webhook is: the caller that registered it (and the ids it acted as)."""
    hook = await session.get(Webhook, webhook_id)
    if hook is None:
        return None
    grant = Grant.from_json(hook.owner_grant)
    return frozenset({hook.owner_id} | (grant.ids if grant else set()))


def missing(webhook_id: str) -> NotFound:
    return NotFound(problems=[Problem(f"No webhook {webhook_id}", parameter="webhook_id")])


class WebhookService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def create(
        self, actor: str, request_id: str | None, attrs: Mapping[str, Any], grant: Grant
    ) -> tuple[Webhook, str | None]:
        """The new webhook and, when the request had none, its generated secret."""
        given = attrs.get("secret")
        secret = given if isinstance(given, str) else new_secret()
        async with write(self.domain, actor=actor, request_id=request_id) as unit:
            session = unit.session
            if self.domain.db.dialect == "postgresql":  # one registration at a time
                await session.execute(text("LOCK TABLE webhooks IN SHARE ROW EXCLUSIVE MODE"))
            taken = await session.scalar(
                select(Webhook.id).where(Webhook.url == attrs["url"], Webhook.owner_id == actor)
            )
            if taken is not None:
                raise Conflict(
                    problems=[
                        Problem(
                            f"Webhook {taken} already delivers to this URL",
                            pointer="/data/attributes/url",
                            meta={"webhook_id": taken},
                        )
                    ]
                )
            hook = Webhook(
                id=new_id("webhook"),
                owner_id=actor,
                url=attrs["url"],
                events=list(attrs["events"]),
                secret=secret,
                active=True,
                owner_grant=grant.as_json(),
                created_at=unit.now,
                updated_at=unit.now,
            )
            session.add(hook)
            unit.audit("webhook.create", "webhook", hook.id, url=hook.url)
        return hook, None if isinstance(given, str) else secret

    async def listing(
        self, owner: str | None, limit: int, offset: int
    ) -> tuple[list[Webhook], int]:
        """Newest first; only `owner`'s unless None (an admin:platform caller)."""
        where = [] if owner is None else [Webhook.owner_id == owner]
        async with read(self.domain) as session:
            total = await session.scalar(select(func.count()).select_from(Webhook).where(*where))
            rows = await session.scalars(
                select(Webhook)
                .where(*where)
                .order_by(Webhook.created_at.desc(), Webhook.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    async def get(self, webhook_id: str) -> Webhook:
        async with read(self.domain) as session:
            hook = await session.get(Webhook, webhook_id)
        if hook is None:
            raise missing(webhook_id)
        return hook

    async def delete(self, actor: str, request_id: str | None, webhook_id: str) -> None:
        """Unsubscribe; its log goes with it, so no retry of it is ever sent."""
        async with write(self.domain, actor=actor, request_id=request_id) as unit:
            hook = await unit.session.get(Webhook, webhook_id)
            if hook is None:
                raise missing(webhook_id)
            planned = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook_id)
            await unit.session.execute(
                delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(planned))
            )
            await unit.session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            )
            await unit.session.delete(hook)
            unit.audit("webhook.delete", "webhook", webhook_id)

    async def deliveries(
        self, webhook_id: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[WebhookDelivery, list[WebhookAttempt]]], int]:
        """Newest first, optionally of one status, each with its attempts (oldest first)."""
        async with read(self.domain) as session:
            if await session.get(Webhook, webhook_id) is None:
                raise missing(webhook_id)
            where = [WebhookDelivery.webhook_id == webhook_id]
            if status:
                where.append(WebhookDelivery.status == status)
            total = await session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(*where)
            )
            rows = await session.scalars(
                select(WebhookDelivery)
                .where(*where)
                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                .limit(limit)
                .offset(offset)
            )
            found = list(rows)
            tried: dict[str, list[WebhookAttempt]] = {d.id: [] for d in found}
            for a in await session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_(list(tried)))
                .order_by(WebhookAttempt.id)
            ):
                tried[a.delivery_id].append(a)
            return [(d, tried[d.id]) for d in found], int(total or 0)

    async def redeliver(
        self, actor: str, request_id: str | None, webhook_id: str, delivery_id: str
    ) -> WebhookDelivery:
        """A new pending delivery of the same event, due at once."""
        async with write(self.domain, actor=actor, request_id=request_id) as unit:
            if await unit.session.get(Webhook, webhook_id) is None:
                raise missing(webhook_id)
            old = await unit.session.get(WebhookDelivery, delivery_id)
            if old is None or old.webhook_id != webhook_id:
                raise NotFound(
                    problems=[
                        Problem(
                            f"No delivery {delivery_id} of webhook {webhook_id}",
                            parameter="delivery_id",
                        )
                    ]
                )
            new = pending(webhook_id, old.event_id, old.event_type, unit.now)
            unit.session.add(new)
            unit.audit("webhook.redeliver", "webhook_delivery", new.id, of=delivery_id)
        wake = self.domain.options.get("webhook_wake")
        if callable(wake):
            wake()
        return new


def pending(webhook_id: str, event_id: str, event_type: str, now: datetime) -> WebhookDelivery:
    """A delivery to make: first attempt, due now."""
    return WebhookDelivery(**pending_row(webhook_id, event_id, event_type, now))


def pending_row(webhook_id: str, event_id: str, event_type: str, now: datetime) -> dict[str, Any]:
    """`pending` as the values of a Core insert."""
    return {
        "id": new_id("webhook_delivery"),
        "webhook_id": webhook_id,
        "event_id": event_id,
        "event_type": event_type,
        "status": "pending",
        "attempt": 1,
        "created_at": now,
    }


# -- the sandbox's webhooks and delivery log --------------------------------------------------


@loader("webhook", order=40)
async def load_webhook(session: AsyncSession, record: Mapping[str, Any], _: Any) -> bool:
    if await session.get(Webhook, record["id"]) is not None:
        return False
    a = record.get("attributes") or {}
    created = parse_time(a["created_at"]) if a.get("created_at") else None
    session.add(
        Webhook(
            id=record["id"],
            owner_id=SEED_OWNER,
            url=a.get("url") or "",
            events=list(a.get("events") or []),
            secret=new_secret(),
            active=False,  # an example pointing at an example host: documented, never sent
            **({"created_at": created, "updated_at": created} if created else {}),
        )
    )
    await session.flush()
    return True


renewed(Webhook.__table__.c.secret, new_secret)  # a sandbox reset draws a new one, as above


@loader("webhook_delivery", order=45)
async def load_delivery(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    a = record.get("attributes") or {}
    rel = ((record.get("relationships") or {}).get("webhook") or {}).get("data") or {}
    webhook_id = rel.get("id") or parents.get("webhook_id")
    if await session.get(WebhookDelivery, record["id"]) is not None:
        return False
    if not webhook_id or await session.get(Webhook, webhook_id) is None:
        return False
    created = parse_time(a["created_at"])
    event_id, event_type = a["event_id"], a["event_type"]
    if await session.get(OutboxEvent, event_id) is None:  # a past event, already dispatched
        data = {"id": "booking_123", "type": "booking", "attributes": {"status": "pending"}}
        session.add(
            OutboxEvent(
                id=event_id,
                type=event_type,
                channel=event_type.split(".", 1)[0] + "s",
                data=data,
                audience=[],
                created_at=created,
                published_at=created,
                dispatched_at=created,
            )
        )
        await session.flush()

    def time(key: str) -> datetime | None:
        return parse_time(a[key]) if a.get(key) else None

    session.add(
        WebhookDelivery(
            id=record["id"],
            webhook_id=webhook_id,
            event_id=event_id,
            event_type=event_type,
            status=a.get("status") or "pending",
            attempt=int(a.get("attempt") or 1),
            response_status=a.get("response_status"),
            duration_ms=a.get("duration_ms"),
            # a seeded failure is history: never retried by this server
            next_retry_at=None,
            delivered_at=time("delivered_at"),
            created_at=created,
        )
    )
    await session.flush()
    return True
