"""Webhook deliveries: every event a registered endpoint may see, POSTed and signed.

The operations that manage webhooks are marked in the spec with `x-mock-webhook`:

    createWebhook:            x-mock-webhook: {role: subscriptions, headers: {signature:
                              X-KlearKarma-Signature, event: X-KlearKarma-Event,
                              delivery: X-KlearKarma-Delivery}, bypass: [admin:platform]}
    listWebhookDeliveries:    x-mock-webhook: deliveries   (the delivery log's collection)
    redeliverWebhookDelivery: x-mock-webhook: redeliver

A subscription is a stored record with `url`, `events`, `active`, a hidden `secret` and the
hidden grant of whoever registered it (see server.webhook_audience: an event goes to it only
if that caller may read what the event is about). The body is `{id, type, created_at, data:
{id, type, attributes}}`, signed as server.webhooks describes. Failed attempts (no 2xx within
the timeout) are retried on the settings' schedule (seconds in the sandbox), up to
`attempts`; a refused target is never retried. Each delivery is one record of the log, and
every attempt is kept in its `attempts`. Only event types of the spec's `webhooks` are sent.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from kkcore.errors import NotFound, Problem
from mocks.loop_clients import LoopClients
from mocks.resources import Resource
from mocks.state import SandboxState
from mocks.store import Record
from server import metrics, tracing
from server.events import Event
from server.responses import Reply
from server.webhook_audience import Audience, Grant
from server.webhook_targets import redact
from server.webhooks import Outcome, WebhookSettings, new_secret

if TYPE_CHECKING:
    from mocks.operation import OpContext, Request
    from mocks.rules import Rule
    from server.identity import Identity

log = logging.getLogger("kk.webhooks")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def attempt_record(number: int, outcome: Outcome) -> dict[str, Any]:
    """One attempt as the delivery log shows it."""
    return {
        "attempt": number,
        "status": outcome.status,
        "started_at": _iso(outcome.started_at),
        "duration_ms": outcome.duration_ms,
        "response_status": outcome.response_status,
        "error": outcome.error,
    }


class WebhookDispatcher:
    """Delivers the sandbox's events to the webhook subscriptions in its store and logs each
    delivery (the resources of the `x-mock-webhook` roles subscriptions and deliveries)."""

    def __init__(
        self,
        state: SandboxState,
        settings: WebhookSettings,
        audience: Audience,
        roles: Mapping[str, Resource | None],
    ) -> None:
        self.state = state
        self.settings = settings
        self.audience = audience
        self.subscriptions = roles.get("subscriptions")
        self.deliveries = roles.get("deliveries")
        self.tasks: dict[str, set[asyncio.Task[None]]] = {}
        self.clients = LoopClients(settings.client)
        state.store.evicted.append(self._evicted)

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe(
        self, hidden: dict[str, Any], identity: Identity | None, attrs: dict[str, Any]
    ) -> dict[str, Any]:
        """A new subscription: the registering caller's grant (403 for an event it may not
        see); its URL kept hidden, shown without credentials; it keeps the secret it was
        given, else gets one (shown once)."""
        if identity is not None:
            self.audience.check(identity, attrs.get("events") or ())
            hidden["grant"] = self.audience.grant(identity).as_json()
        if isinstance(attrs.get("url"), str):
            hidden["url"] = attrs["url"]
            attrs["url"] = redact(attrs["url"])
        if isinstance(hidden.get("secret"), str):
            return {}
        hidden["secret"] = new_secret()
        return {"secret": hidden["secret"]}

    def offer(self, event: Event) -> None:
        """Start a delivery of `event` to every active subscription that may receive it."""
        subs = self.subscriptions
        if subs is None or not self.audience.known(event.type):
            return
        records, store = self.state.records, self.state.store
        payload: bytes | None = None
        for record in list(store.ordered(subs.key)):
            attrs = records.attrs(subs, record)
            if attrs.get("active") is False or event.type not in (attrs.get("events") or ()):
                continue
            wid = records.rid(subs, record)
            grant = Grant.from_json((store.meta_of(subs.key, wid).get("hidden") or {}).get("grant"))
            if not self.audience.receives(grant, event.type, event.audience):
                continue
            if payload is None:
                data = event.data
                body = {
                    "id": event.id,
                    "type": event.type,
                    "created_at": event.created_at,
                    "data": {k: data[k] for k in ("id", "type", "attributes") if k in data}
                    if "attributes" in data
                    else data,
                }
                payload = orjson.dumps(body)
            did = self._log(wid, event.id, event.type, payload)
            self._start(wid, did, event.id, payload, event.type)

    def _log(self, wid: str, event_id: str, event_type: str, payload: bytes) -> str:
        res, records = self.deliveries, self.state.records
        if res is None or self.subscriptions is None:
            return "dlv_" + secrets.token_hex(8)
        did = str(records.new_id(res))
        record: Record = {
            "id": did,
            "type": res.type,
            "attributes": {
                "event_id": event_id,
                "event_type": event_type,
                "status": "pending",
                "attempt": 1,
                "response_status": None,
                "duration_ms": None,
                "next_retry_at": None,
                "delivered_at": None,
                "created_at": records.clock(),
                "attempts": [],
            },
            "relationships": {"webhook": {"data": {"id": wid, "type": self.subscriptions.type}}},
        }
        meta = {"payload": payload.decode(), "webhook": wid}
        self.state.store.put(res.key, did, record, meta)
        return did

    def _start(self, wid: str, did: str, event_id: str, payload: bytes, event_type: str) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(wid, did, event_id, payload, event_type)
        )
        self.tasks.setdefault(wid, set()).add(task)
        task.add_done_callback(lambda t: self.tasks.get(wid, set()).discard(t))

    # -- sending ------------------------------------------------------------------------------

    async def _run(
        self, wid: str, did: str, event_id: str, payload: bytes, event_type: str
    ) -> None:
        subs, store, s = self.subscriptions, self.state.store, self.settings
        if subs is None:
            return
        for attempt in range(1, s.attempts + 1):
            record = store.get(subs.key, wid)
            if record is None:
                return
            attrs = self.state.records.attrs(subs, record)
            if attrs.get("active") is False:  # deactivated meanwhile: no more attempts
                return
            hidden = store.meta_of(subs.key, wid).get("hidden") or {}
            url = str(hidden.get("url") or attrs.get("url"))
            headers = s.headers(str(hidden.get("secret", "")), payload, event_type, did, event_id)
            # a task started by the request: the span joins its trace through the context
            with tracing.delivery_span(event_id, event_type, url, attempt) as span:
                async with self.clients.client() as client:
                    outcome = await s.send(client, wid, url, payload, headers)
                tracing.record_outcome(span, outcome.status, outcome.response_status)
            metrics.webhook_attempt(event_type, attempt, outcome.ok)
            retry = outcome.status == "failed" and attempt < s.attempts
            wait = s.delay(attempt) if retry else None
            await self._update(did, attempt, outcome, wait)
            if wait is None:
                return
            await asyncio.sleep(wait)

    async def _update(self, did: str, attempt: int, outcome: Outcome, wait: float | None) -> None:
        res, store = self.deliveries, self.state.store
        if res is None:
            return
        async with store.lock():
            old = store.get(res.key, did)
            if old is None:
                return
            now = datetime.now(UTC)
            new = dict(old)
            before = old["attributes"]
            new["attributes"] = {
                **before,
                "status": outcome.status,
                "attempt": attempt,
                "response_status": outcome.response_status,
                "duration_ms": outcome.duration_ms,
                "next_retry_at": _iso(now + timedelta(seconds=wait)) if wait is not None else None,
                "delivered_at": _iso(now) if outcome.ok else None,
                "attempts": [*(before.get("attempts") or []), attempt_record(attempt, outcome)],
            }
            store.put(res.key, did, new, dict(store.meta_of(res.key, did)))
            await store.save()

    async def redeliver(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        """A new delivery of a logged event: same event id and payload, a new delivery id."""
        res, subs, store = self.deliveries, self.subscriptions, self.state.store
        wid = str(request.params.get(ctx.plan.parents[0])) if ctx.plan.parents else ""
        did = str(request.params.get(ctx.plan.id_param or ""))
        if res is None or subs is None or store.get(subs.key, wid) is None:
            raise NotFound(problems=[Problem(f"No webhook {wid}", parameter="webhook_id")])
        old = store.get(res.key, did)
        if old is None or wid not in self.state.records.mentions(res, old):
            raise NotFound(
                problems=[Problem(f"No delivery {did} of webhook {wid}", parameter="delivery_id")]
            )
        event_type = str(old["attributes"]["event_type"])
        event_id = str(old["attributes"]["event_id"])
        payload = self._payload_of(did, event_id, event_type)
        async with store.lock():
            new_id = self._log(wid, event_id, event_type, payload)
            await store.save()
        record = store.get(res.key, new_id)
        self._start(wid, new_id, event_id, payload, event_type)
        return Reply(ctx.plan.status, self.state.records.document(ctx.plan, dict(record or {})))

    def _payload_of(self, did: str, event_id: str, event_type: str) -> bytes:
        """The logged payload of a delivery; for seeded ones, the spec's example event."""
        res = self.deliveries
        logged = self.state.store.meta_of(res.key, did).get("payload") if res else None
        if isinstance(logged, str):
            return logged.encode()
        example = self.audience.example(event_type)
        body = dict(example) if isinstance(example, Mapping) else {"type": event_type}
        body["id"] = event_id
        return orjson.dumps(body)

    # -- lifecycle ----------------------------------------------------------------------------

    def forget(self, wid: str) -> None:
        """Drop the pending retries of a deleted webhook."""
        for task in self.tasks.pop(wid, set()):
            task.cancel()

    def _evicted(self, key: str, rid: str, record: Record) -> None:
        """A subscription the store's bound evicted is gone as a deleted one is."""
        if self.subscriptions is not None and key == self.subscriptions.key:
            self.forget(rid)

    def forget_all(self) -> None:
        for wid in list(self.tasks):
            self.forget(wid)

    def open(self) -> None:
        """Keep an HTTP client on the app's loop (its start-up)."""
        self.clients.open()

    async def close(self) -> None:
        self.forget_all()
        await self.clients.close()
