"""Klear Karma's webhooks: register, read, delete, the delivery log and redelivery; the
delivery worker runs with the app (started at startup, stopped at shutdown)."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.context import domain_of
from handlers.domain.delivery import DeliveryWorker, worker_for
from handlers.domain.jsonapi import page, single
from handlers.domain.webhooks import WebhookService, delivery_resource, webhook_resource
from handlers.lifecycle import domain_group
from server.errors import AuthenticationRequired
from server.responses import Reply

webhooks = domain_group("webhooks")
WORKER = "webhook_worker"


@webhooks.on_startup
async def start_worker(runtime: Any) -> None:
    """Deliver from the outbox from now on (picking up whatever a previous run left)."""
    domain = await domain_of(runtime.extras).ready()
    if isinstance(runtime.extras.get(WORKER), DeliveryWorker):
        return
    worker = worker_for(domain, runtime.table, runtime.extras)
    runtime.extras[WORKER] = worker
    runtime.extras["webhook_wake"] = worker.wake
    worker.start()


@webhooks.on_shutdown
async def stop_worker(runtime: Any) -> None:
    worker = runtime.extras.pop(WORKER, None)
    runtime.extras.pop("webhook_wake", None)
    if isinstance(worker, DeliveryWorker):
        await worker.stop()


def _actor(request: Any) -> str:
    if request.identity is None:
        raise AuthenticationRequired("Webhooks are managed with an admin:platform token")
    return str(request.identity.subject)


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
    hook, secret = await _service(request).create(_actor(request), request.request_id, attrs)
    extra = {"secret": secret} if secret else {}
    reply = _single(request, webhook_resource(hook), 201, **extra)
    reply.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return reply


@webhooks.operation("listWebhooks")
async def list_webhooks(request: models.ListWebhooksRequest) -> Reply:
    """Every registered webhook, newest first (secrets never shown)."""
    p = request.params
    found, total = await _service(request).listing(int(p.get("limit", 20)), int(p.get("offset", 0)))
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
    """The delivery log of a webhook, newest first."""
    p = request.params
    webhook_id, status = p["webhook_id"], p.get("status")
    found, total = await _service(request).deliveries(
        webhook_id, status, int(p.get("limit", 20)), int(p.get("offset", 0))
    )
    items = [delivery_resource(d) for d in found]
    return _page(request, items, total, f"/v1/webhooks/{webhook_id}/deliveries", status=status)


@webhooks.operation("redeliverWebhookDelivery")
async def redeliver_webhook_delivery(request: models.RedeliverWebhookDeliveryRequest) -> Reply:
    """Queue a new delivery of the same event, sent at once."""
    p = request.params
    new = await _service(request).redeliver(
        _actor(request), request.request_id, p["webhook_id"], p["delivery_id"]
    )
    return _single(request, delivery_resource(new), 202)
