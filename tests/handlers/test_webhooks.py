"""Webhooks on the database (SQLite and PostgreSQL): registration rules, the delivery log,
and the outbox-driven worker (driven step by step here, no timing), plus batch calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.domain.context import domain_of
from handlers.domain.delivery import worker_for
from handlers.domain.unit import write
from kkapp.factory import Built
from server.auth.services import auth_of
from server.webhooks import sign
from tests.engine import client

pytestmark = pytest.mark.anyio
URL = "http://receiver.test/hook"


@pytest.fixture
async def sandbox(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain_of(sandbox.runtime.extras).db.close()


def admin(built: Built, scopes: tuple[str, ...] = ("admin:platform",)) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token("test_admin_1", list(scopes))
    return {"Authorization": f"Bearer {token}"}


def hook(url: str = URL, **attrs: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "webhook",
            "attributes": {"url": url, "events": ["booking.created"], **attrs},
        }
    }


async def test_a_webhook_is_registered_once_per_url_with_a_secret_shown_once(
    sandbox: Built,
) -> None:
    async with client(sandbox.app) as c:
        made = await c.post("/v1/webhooks", json=hook(), headers=admin(sandbox))
        again = await c.post("/v1/webhooks", json=hook(secret="s" * 16), headers=admin(sandbox))
        wid = made.json()["data"]["id"]
        read = await c.get(f"/v1/webhooks/{wid}", headers=admin(sandbox))
        listed = await c.get("/v1/webhooks", headers=admin(sandbox))
    assert made.status_code == 201 and made.json()["meta"]["secret"].startswith("whsec_")
    assert made.headers["location"] == f"/v1/webhooks/{wid}"
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
    assert "secret" not in read.json()["data"]["attributes"] and "secret" not in read.json()["meta"]
    rows = listed.json()["data"]
    stamps = [r["attributes"]["created_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    # (the test clock stands still: the seeded webhooks may share its creation instant)
    assert wid in [r["id"] for r in rows if r["attributes"]["created_at"] == stamps[0]]


async def test_a_deleted_webhook_and_its_log_are_gone(sandbox: Built) -> None:
    async with client(sandbox.app) as c:
        gone = await c.delete("/v1/webhooks/wh_123", headers=admin(sandbox))
        read = await c.get("/v1/webhooks/wh_123", headers=admin(sandbox))
        log = await c.get("/v1/webhooks/wh_123/deliveries", headers=admin(sandbox))
    assert gone.status_code == 204 and read.status_code == log.status_code == 404


async def test_the_worker_delivers_each_subscribed_event_signed_then_redelivers(
    sandbox: Built,
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    transport = httpx.ASGITransport(app=Route("/hook", endpoint, methods=["POST"]))
    domain = domain_of(sandbox.runtime.extras)
    worker = worker_for(domain, sandbox.runtime.table, {"webhook_transport": transport})
    async with client(sandbox.app) as c:
        await c.delete("/v1/webhooks/wh_123", headers=admin(sandbox))  # the seed's, elsewhere
        made = (
            await c.post("/v1/webhooks", json=hook(secret="k" * 16), headers=admin(sandbox))
        ).json()
        async with write(domain) as unit:
            unit.emit("booking.created", {"id": "booking_1", "type": "booking", "attributes": {}})
            unit.emit("booking.cancelled", {"id": "booking_1", "type": "booking", "attributes": {}})
        worker.open()
        try:
            assert await worker.run_once() == 1
            wid = made["data"]["id"]
            [d] = (await c.get(f"/v1/webhooks/{wid}/deliveries", headers=admin(sandbox))).json()[
                "data"
            ]
            again = await c.post(
                f"/v1/webhooks/{wid}/deliveries/{d['id']}/redeliver", headers=admin(sandbox)
            )
            assert (
                again.status_code == 202
                and again.json()["data"]["attributes"]["status"] == "pending"
            )
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
    assert d["attributes"]["status"] == "succeeded" and d["attributes"]["response_status"] == 204
    (h1, b1), (h2, b2) = received
    assert b1 == b2 and orjson.loads(b1)["type"] == "booking.created"
    assert h1["x-klearkarma-signature"] == sign("k" * 16, b1)
    assert (h1["x-klearkarma-delivery"], h2["x-klearkarma-delivery"]) == (
        d["id"],
        again.json()["data"]["id"],
    )


async def test_a_failed_attempt_is_scheduled_for_retry_and_a_foreign_host_is_not_called(
    sandbox: Built,
) -> None:
    domain = domain_of(sandbox.runtime.extras)
    worker = worker_for(domain, sandbox.runtime.table, {})
    async with client(sandbox.app) as c:
        local = (
            await c.post("/v1/webhooks", json=hook("http://127.0.0.1:9/x"), headers=admin(sandbox))
        ).json()
        remote = (
            await c.post(
                "/v1/webhooks", json=hook("https://hooks.example.org/x"), headers=admin(sandbox)
            )
        ).json()
        async with write(domain) as unit:
            unit.emit("booking.created", {"id": "booking_1", "type": "booking", "attributes": {}})
        worker.open()
        try:
            await worker.run_once()
        finally:
            await worker.stop()
        logs = [
            (
                await c.get(f"/v1/webhooks/{h['data']['id']}/deliveries", headers=admin(sandbox))
            ).json()["data"][0]
            for h in (local, remote)
        ]
    assert logs[0]["attributes"]["status"] == "failed" and logs[0]["attributes"]["next_retry_at"]
    refused = logs[1]["attributes"]
    assert refused["status"] == "refused" and refused["next_retry_at"] is None
    assert refused["response_status"] is None and refused["attempts"][0]["status"] == "refused"


async def test_a_batch_runs_each_operation_through_the_app_with_the_callers_token(
    sandbox: Built,
) -> None:
    ops = [
        {"id": "list", "method": "GET", "path": "/webhooks?limit=1"},
        {"id": "make", "method": "POST", "path": "/webhooks", "body": hook()},
        {"id": "bad", "method": "POST", "path": "/webhooks", "body": {"data": {}}},
        {"id": "nested", "method": "POST", "path": "/batch", "body": {}},
        {"id": "forbidden", "method": "GET", "path": "/conversations/conv_test123/messages"},
    ]
    body = {"data": {"type": "batch", "attributes": {"operations": ops}}}
    async with client(sandbox.app) as c:
        r = await c.post("/v1/batch", json=body, headers=admin(sandbox))
        listed = await c.get("/v1/webhooks", headers=admin(sandbox))
    assert r.status_code == 200, r.text
    results = {x["id"]: x for x in r.json()["data"]["attributes"]["results"]}
    assert [x["id"] for x in r.json()["data"]["attributes"]["results"]] == [o["id"] for o in ops]
    assert (results["list"]["status"], results["make"]["status"]) == (200, 201)
    assert results["bad"]["status"] == 422 and results["nested"]["status"] == 400
    assert results["nested"]["body"]["errors"][0]["code"] == "VALIDATION_ERROR"
    assert results["forbidden"]["status"] == 403  # the caller's token lacks read:messages
    assert results["make"]["body"]["data"]["id"] in [w["id"] for w in listed.json()["data"]]
