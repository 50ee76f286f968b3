"""Webhook subscriptions and their delivery log: register (409 when the caller already has a
webhook on that URL; a generated secret shown once), read, delete (pending retries dropped),
list deliveries, redeliver.

URLs are unique per owner (the account that registered them), so the sandbox's seeded example
webhook never blocks the reference's own registration example.

Deliveries themselves are made by `handlers.domain.delivery` from the outbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.unit import read, write
from handlers.storage.ids import new_id
from handlers.storage.models import OutboxEvent, Webhook, WebhookDelivery
from handlers.storage.seed import loader
from server.errors import Conflict, NotFound, Problem

SEED_OWNER = "kk_sandbox_seed"


def webhook_resource(w: Webhook) -> dict[str, Any]:
    return {
        "id": w.id,
        "type": "webhook",
        "attributes": {
            "url": w.url,
            "events": list(w.events),
            "active": w.active,
            "created_at": iso(w.created_at),
            "updated_at": iso(w.updated_at),
        },
    }


def delivery_resource(d: WebhookDelivery) -> dict[str, Any]:
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
        },
        "relationships": {"webhook": ref("webhook", d.webhook_id)},
    }


def missing(webhook_id: str) -> NotFound:
    return NotFound(problems=[Problem(f"No webhook {webhook_id}", parameter="webhook_id")])


class WebhookService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def create(
        self, actor: str, request_id: str | None, attrs: Mapping[str, Any]
    ) -> tuple[Webhook, str | None]:
        """The new webhook and, when the request had none, its generated secret."""
        given = attrs.get("secret")
        secret = given if isinstance(given, str) else "whsec_" + secrets.token_hex(12)
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
                created_at=unit.now,
                updated_at=unit.now,
            )
            session.add(hook)
            unit.audit("webhook.create", "webhook", hook.id, url=hook.url)
        return hook, None if isinstance(given, str) else secret

    async def listing(self, limit: int, offset: int) -> tuple[list[Webhook], int]:
        """Newest first."""
        async with read(self.domain) as session:
            total = await session.scalar(select(func.count()).select_from(Webhook))
            rows = await session.scalars(
                select(Webhook)
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
            await unit.session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            )
            await unit.session.delete(hook)
            unit.audit("webhook.delete", "webhook", webhook_id)

    async def deliveries(
        self, webhook_id: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[WebhookDelivery], int]:
        """Newest first, optionally of one status."""
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
            return list(rows), int(total or 0)

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
    return WebhookDelivery(
        id=new_id("webhook_delivery"),
        webhook_id=webhook_id,
        event_id=event_id,
        event_type=event_type,
        status="pending",
        attempt=1,
        created_at=now,
    )


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
            secret="whsec_" + secrets.token_hex(12),
            active=bool(a.get("active", True)),
            **({"created_at": created, "updated_at": created} if created else {}),
        )
    )
    await session.flush()
    return True


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
