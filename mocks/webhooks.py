"""Webhook deliveries: every event a registered endpoint subscribed to, POSTed and signed.

The operations that manage webhooks are marked in the spec with `x-mock-webhook`:

    createWebhook:            x-mock-webhook: {role: subscriptions, headers: {signature:
                              X-KlearKarma-Signature, event: X-KlearKarma-Event,
                              delivery: X-KlearKarma-Delivery}}
    listWebhookDeliveries:    x-mock-webhook: deliveries   (the delivery log's collection)
    redeliverWebhookDelivery: x-mock-webhook: redeliver

A subscription is a stored record with `url`, `events`, `active` and a hidden `secret`.
The body is `{id, type, created_at, data: {id, type, attributes}}`; the signature header is
`hex(HMAC-SHA256(secret, raw body))`. Failed attempts (no 2xx within the timeout) are
retried with exponential backoff and full jitter, up to `attempts`; each delivery is one
record of the log, updated per attempt. Only event types of the spec's `webhooks` are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from mocks.store import Record
from server import metrics, tracing
from server.errors import NotFound, Problem
from server.events import Event
from server.responses import Reply
from server.webhooks import WebhookSettings

if TYPE_CHECKING:  # httpx (~10 MB with its TLS stack) is imported when a webhook is sent
    import httpx

    from mocks.crud import OpContext, Request
    from mocks.engine import MockEngine
    from mocks.rules import Rule

log = logging.getLogger("kk.webhooks")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class WebhookDispatcher:
    def __init__(self, engine: MockEngine, settings: WebhookSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.subscriptions = engine.resource_of_role("subscriptions")
        self.deliveries = engine.resource_of_role("deliveries")
        self.event_types = frozenset(engine.table.get("webhooks") or {})
        self.tasks: dict[str, set[asyncio.Task[None]]] = {}
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._rng = random.Random(engine.seed)

    # -- subscriptions ------------------------------------------------------------------------

    def secret_for(self, hidden: dict[str, Any]) -> dict[str, Any]:
        """A new subscription keeps the secret it was given, else gets one (shown once)."""
        if isinstance(hidden.get("secret"), str):
            return {}
        hidden["secret"] = "whsec_" + secrets.token_hex(12)
        return {"secret": hidden["secret"]}

    def offer(self, event: Event) -> None:
        """Start a delivery of `event` to every active subscription that wants it."""
        subs = self.subscriptions
        if subs is None or (self.event_types and event.type not in self.event_types):
            return
        records, store = self.engine.records, self.engine.store
        payload: bytes | None = None
        for record in list(store.ordered(subs.key)):
            attrs = records.attrs(subs, record)
            if attrs.get("active") is False or event.type not in (attrs.get("events") or ()):
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
            wid = records.rid(subs, record)
            did = self._log(wid, event.id, event.type, payload)
            self._start(wid, did, payload, event.type)

    def _log(self, wid: str, event_id: str, event_type: str, payload: bytes) -> str:
        res, records = self.deliveries, self.engine.records
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
            },
            "relationships": {"webhook": {"data": {"id": wid, "type": self.subscriptions.type}}},
        }
        meta = {"payload": payload.decode(), "webhook": wid}
        self.engine.store.put(res.key, did, record, meta)
        return did

    def _start(self, wid: str, did: str, payload: bytes, event_type: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(wid, did, payload, event_type))
        self.tasks.setdefault(wid, set()).add(task)
        task.add_done_callback(lambda t: self.tasks.get(wid, set()).discard(t))

    # -- sending ------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            import httpx

            client = self._clients[loop] = httpx.AsyncClient(
                transport=self.settings.transport, timeout=self.settings.timeout
            )
        return client

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: up to base * 2^(attempt-1), capped."""
        ceiling = min(self.settings.retry_max, self.settings.retry_base * 2.0 ** (attempt - 1))
        return float(ceiling * (0.5 + self._rng.random() / 2))

    async def _run(self, wid: str, did: str, payload: bytes, event_type: str) -> None:
        subs, store = self.subscriptions, self.engine.store
        if subs is None:
            return
        import httpx

        s = self.settings
        for attempt in range(1, s.attempts + 1):
            record = store.get(subs.key, wid)
            if record is None:
                return
            attrs = self.engine.records.attrs(subs, record)
            if attrs.get("active") is False:  # kept in the log, never sent
                await self._update(did, attempt, None, 0, False, None)
                return
            url = str(attrs.get("url"))
            if not s.allows(url):
                s.refused(wid, url)
                await self._update(did, attempt, None, 0, False, None)
                return
            secret = str((store.meta_of(subs.key, wid).get("hidden") or {}).get("secret", ""))
            headers = s.headers(secret, payload, event_type, did)
            started = time.perf_counter()
            status: int | None = None
            # a task started by the request: the span joins its trace through the context
            with tracing.delivery_span(did, event_type, url, attempt) as span:
                try:
                    response = await self._client().post(url, content=payload, headers=headers)
                    status = response.status_code
                    span.set_attribute("http.response.status_code", status)
                except (httpx.HTTPError, OSError) as e:
                    log.info("webhook %s delivery %s attempt %d: %s", wid, did, attempt, e)
            took = int((time.perf_counter() - started) * 1000)
            ok = status is not None and 200 <= status < 300
            metrics.webhook_attempt(event_type, attempt, ok)
            wait = self.backoff(attempt) if not ok and attempt < s.attempts else None
            await self._update(did, attempt, status, took, ok, wait)
            if wait is None:
                return
            await asyncio.sleep(wait)

    async def _update(
        self, did: str, attempt: int, status: int | None, took: int, ok: bool, wait: float | None
    ) -> None:
        res, store = self.deliveries, self.engine.store
        if res is None:
            return
        async with store.lock():
            old = store.get(res.key, did)
            if old is None:
                return
            now = datetime.now(UTC)
            new = dict(old)
            new["attributes"] = {
                **old["attributes"],
                "status": "succeeded" if ok else "failed",
                "attempt": attempt,
                "response_status": status,
                "duration_ms": took,
                "next_retry_at": _iso(now + timedelta(seconds=wait)) if wait is not None else None,
                "delivered_at": _iso(now) if ok else None,
            }
            store.put(res.key, did, new, dict(store.meta_of(res.key, did)))
            await store.save()

    async def redeliver(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        """A new delivery of a logged event: same event id and payload, a new delivery id."""
        res, subs, store = self.deliveries, self.subscriptions, self.engine.store
        wid = str(request.params.get(ctx.plan.parents[0])) if ctx.plan.parents else ""
        did = str(request.params.get(ctx.plan.id_param or ""))
        if res is None or subs is None or store.get(subs.key, wid) is None:
            raise NotFound(problems=[Problem(f"No webhook {wid}", parameter="webhook_id")])
        old = store.get(res.key, did)
        if old is None or wid not in self.engine.records.mentions(res, old):
            raise NotFound(
                problems=[Problem(f"No delivery {did} of webhook {wid}", parameter="delivery_id")]
            )
        event_type = str(old["attributes"]["event_type"])
        payload = self._payload_of(did, str(old["attributes"]["event_id"]), event_type)
        async with store.lock():
            new_id = self._log(wid, str(old["attributes"]["event_id"]), event_type, payload)
            await store.save()
        record = store.get(res.key, new_id)
        self._start(wid, new_id, payload, event_type)
        return Reply(ctx.plan.status, self.engine.records.document(ctx.plan, dict(record or {})))

    def _payload_of(self, did: str, event_id: str, event_type: str) -> bytes:
        """The logged payload of a delivery; for seeded ones, the spec's example event."""
        res = self.deliveries
        logged = self.engine.store.meta_of(res.key, did).get("payload") if res else None
        if isinstance(logged, str):
            return logged.encode()
        hooks: Mapping[str, Any] = self.engine.table.get("webhooks") or {}
        examples = (hooks.get(event_type) or {}).get("examples") or {}
        example = next(iter(examples.values()), None)
        body = dict(example) if isinstance(example, Mapping) else {"type": event_type}
        body["id"] = event_id
        return orjson.dumps(body)

    # -- lifecycle ----------------------------------------------------------------------------

    def forget(self, wid: str) -> None:
        """Drop the pending retries of a deleted webhook."""
        for task in self.tasks.pop(wid, set()):
            task.cancel()

    def forget_all(self) -> None:
        for wid in list(self.tasks):
            self.forget(wid)

    async def close(self) -> None:
        self.forget_all()
        clients, self._clients = self._clients, {}
        for client in clients.values():
            with contextlib.suppress(Exception):
                await client.aclose()
