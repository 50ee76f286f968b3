"""Klear Karma's webhooks: register, read, delete, the delivery log and redelivery; the
delivery worker runs with the app (started at startup, stopped at shutdown).

Any signed-in caller registers webhooks for the events it may read (server.webhook_audience);
who may read or manage one is the spec's `x-owner` (its owner, or `admin:platform`)."""

from __future__ import annotations

from typing import Any

from generated import models
from generated.api_table import TABLE
from handlers.domain.context import domain_of
from handlers.domain.delivery import DeliveryWorker, worker_for
from handlers.domain.jsonapi import page, single
from handlers.domain.webhooks import WebhookService, delivery_resource, webhook_resource
from handlers.lifecycle import domain_group
from kkcore.errors import AuthenticationRequired
from server.identity import Identity
from server.responses import Reply
from server.webhook_audience import Audience

webhooks = domain_group("webhooks")
WORKER = "webhook_worker"
AUDIENCE = Audience.of_table(TABLE)


@webhooks.on_startup
async def start_worker(runtime: Any) -> None:
    """Deliver from the outbox from now on (picking up whatever a previous run left)."""
    domain = await domain_of(runtime.extras).ready()
    if isinstance(runtime.extras.get(WORKER), DeliveryWorker):
        return
    worker = worker_for(domain, runtime.table, runtime.extras, runtime.mode)
    runtime.extras[WORKER] = worker
    runtime.extras["webhook_wake"] = worker.wake
    worker.start()


@webhooks.on_shutdown
async def stop_worker(runtime: Any) -> None:
    worker = runtime.extras.pop(WORKER, None)
    runtime.extras.pop("webhook_wake", None)
    if isinstance(worker, DeliveryWorker):
        await worker.stop()


def _identity(request: Any) -> Identity:
    if request.identity is None:
        raise AuthenticationRequired("Webhooks are managed by a signed-in caller")
    identity: Identity = request.identity
    return identity


def _actor(request: Any) -> str:
    return _identity(request).subject


def _service(request: Any) -> WebhookService:
    return domain_of(request.services).get(WebhookService)


def _single(request: Any, data: Any, status: int = 200, **meta: Any) -> Reply:
    body = single(data, request.request_id, domain_of(request.services).clock())
    body["meta"].update(meta)
    return Reply(status, body)


def _page(request: Any, items: list[Any], total: int, path: str, **query: Any) -> Reply:
    p = request.params
    limit, offset = int(p.get("limit", 20)), int(p.get("offset", 0))
    body = page(
        items,
        total,
        limit=limit,
        offset=offset,
        path=path,
        query=query,
        request_id=request.request_id,
        now=domain_of(request.services).clock(),
    )
    return Reply(200, body)


@webhooks.operation("createWebhook")
async def create_webhook(request: models.CreateWebhookRequest) -> Reply:
    """Register an endpoint (409 on a taken URL); a generated secret is shown once."""
    attrs = request.body["data"]["attributes"]
    identity = _identity(request)
    AUDIENCE.check(identity, attrs["events"])
    grant = AUDIENCE.grant(identity)
    hook, secret = await _service(request).create(
        identity.subject, request.request_id, attrs, grant
    )
    extra = {"secret": secret} if secret else {}
    reply = _single(request, webhook_resource(hook), 201, **extra)
    reply.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return reply


@webhooks.operation("listWebhooks")
async def list_webhooks(request: models.ListWebhooksRequest) -> Reply:
    """The caller's webhooks (every one for admin:platform), newest first (secrets never
    shown)."""
    p, identity = request.params, _identity(request)
    owner = None if not identity.scopes.isdisjoint(AUDIENCE.bypass) else identity.subject
    found, total = await _service(request).listing(
        owner, int(p.get("limit", 20)), int(p.get("offset", 0))
    )
    return _page(request, [webhook_resource(w) for w in found], total, "/v1/webhooks")


@webhooks.operation("getWebhook")
async def get_webhook(request: models.GetWebhookRequest) -> Reply:
    """One webhook."""
    return _single(
        request, webhook_resource(await _service(request).get(request.params["webhook_id"]))
    )


@webhooks.operation("deleteWebhook")
async def delete_webhook(request: models.DeleteWebhookRequest) -> Reply:
    """Unsubscribe; pending retries are dropped."""
    await _service(request).delete(
        _actor(request), request.request_id, request.params["webhook_id"]
    )
    return Reply(204)


@webhooks.operation("listWebhookDeliveries")
async def list_webhook_deliveries(request: models.ListWebhookDeliveriesRequest) -> Reply:
    """The delivery log of a webhook, newest first, each with every attempt."""
    p = request.params
    webhook_id, status = p["webhook_id"], p.get("status")
    found, total = await _service(request).deliveries(
        webhook_id, status, int(p.get("limit", 20)), int(p.get("offset", 0))
    )
    items = [delivery_resource(d, attempts) for d, attempts in found]
    return _page(request, items, total, f"/v1/webhooks/{webhook_id}/deliveries", status=status)


@webhooks.operation("redeliverWebhookDelivery")
async def redeliver_webhook_delivery(request: models.RedeliverWebhookDeliveryRequest) -> Reply:
    """Queue a new delivery of the same event, sent at once."""
    p = request.params
    new = await _service(request).redeliver(
        _actor(request), request.request_id, p["webhook_id"], p["delivery_id"]
    )
    return _single(request, delivery_resource(new), 202)
