"""Webhooks for developers (issue #16) on the database: any signed-in caller registers them,
each receives only the events its owner may read (decided at delivery), every attempt is
kept in the log (a crash's repeat included), seeded examples never send, and the sandbox
retries within seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.domain.context import domain_of
from handlers.domain.delivery import DeliveryWorker, worker_for
from handlers.domain.unit import write
from handlers.rest.oauth import SANDBOX_API_KEY
from handlers.storage.models import WebhookDelivery
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client

pytestmark = pytest.mark.anyio
TEST_KEY = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
PATIENT = "test_user_123"


class Endpoint:
    """An in-process receiver: records deliveries per path, answers `answers` then 204."""

    def __init__(self, *answers: int) -> None:
        self.got: dict[str, list[dict[str, Any]]] = {}
        self.answers = list(answers)
        self.transport = httpx.ASGITransport(app=Route("/{who}", self.hook, methods=["POST"]))

    async def hook(self, request: Request) -> Response:
        event = orjson.loads(await request.body())
        self.got.setdefault(request.path_params["who"], []).append(event)
        return Response(status_code=self.answers.pop(0) if self.answers else 204)


def bearer(built: Built, subject: str, scopes: list[str]) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, scopes)
    return {"Authorization": f"Bearer {token}"}


def admin(built: Built) -> dict[str, str]:
    return bearer(built, "test_admin_1", ["admin:platform"])


def hook_body(who: str, *events: str) -> dict[str, Any]:
    url = f"http://receiver.test/{who}"
    return {"data": {"type": "webhook", "attributes": {"url": url, "events": list(events)}}}


def booking(booking_id: str) -> dict[str, Any]:
    return {"id": booking_id, "type": "booking", "attributes": {"status": "pending"}}


@pytest.fixture
async def worker(sandbox: Built) -> AsyncIterator[tuple[DeliveryWorker, Endpoint]]:
    endpoint = Endpoint()
    options = {"webhook_transport": endpoint.transport}  # retries 1, 2, 4 s later
    found = worker_for(domain_of(sandbox.runtime.extras), sandbox.runtime.table, options)
    found.open()
    try:
        yield found, endpoint
    finally:
        await found.stop()


async def test_the_test_key_gets_events_about_its_user_and_an_admin_webhook_gets_every_event(
    sandbox: Built, worker: tuple[DeliveryWorker, Endpoint]
) -> None:
    deliver, endpoint = worker
    domain = domain_of(sandbox.runtime.extras)
    async with client(sandbox.app) as c:
        mine = await c.post(
            "/v1/webhooks",
            json=hook_body("mine", "booking.created", "user.updated"),
            headers=TEST_KEY,
        )
        every = await c.post(
            "/v1/webhooks",
            json=hook_body("all", "booking.created", "user.updated"),
            headers=admin(sandbox),
        )
        assert (mine.status_code, every.status_code) == (201, 201), mine.text
        async with write(domain) as unit:
            unit.emit("booking.created", booking("booking_mine"), {PATIENT, "test_prac_123"})
            unit.emit("booking.created", booking("booking_theirs"), {"user_9", "prac_9"})
            unit.emit(
                "user.updated", {"id": "user_9", "type": "user", "attributes": {}}, {"user_9"}
            )
        await deliver.run_once()
        listed = (await c.get("/v1/webhooks", headers=TEST_KEY)).json()["data"]
    assert [e["data"]["id"] for e in endpoint.got["mine"]] == ["booking_mine"]
    assert sorted(e["data"]["id"] for e in endpoint.got["all"]) == [
        "booking_mine",
        "booking_theirs",
        "user_9",
    ]
    assert [w["id"] for w in listed] == [mine.json()["data"]["id"]]  # not the admin's, nor wh_123


async def test_events_whose_scope_the_caller_lacks_are_refused_at_registration(
    sandbox: Built,
) -> None:
    profile_only = bearer(sandbox, PATIENT, ["read:profile"])
    async with client(sandbox.app) as c:
        refused = await c.post(
            "/v1/webhooks",
            json=hook_body("p", "user.updated", "booking.created"),
            headers=profile_only,
        )
        allowed = await c.post(
            "/v1/webhooks", json=hook_body("p", "user.updated"), headers=profile_only
        )
        anonymous = await c.post("/v1/webhooks", json=hook_body("p", "user.updated"))
    [error] = refused.json()["errors"]
    assert refused.status_code == 403 and error["code"] == "INSUFFICIENT_PERMISSIONS"
    assert error["source"]["pointer"] == "/data/attributes/events/1"
    assert allowed.status_code == 201 and anonymous.status_code == 401


async def test_another_callers_webhook_and_its_log_are_not_found(sandbox: Built) -> None:
    other = bearer(sandbox, "user_9", ["read:profile", "read:bookings"])
    async with client(sandbox.app) as c:
        made = await c.post(
            "/v1/webhooks", json=hook_body("x", "booking.created"), headers=TEST_KEY
        )
        wid = made.json()["data"]["id"]
        answers = [
            (await c.get(f"/v1/webhooks/{wid}", headers=other)).status_code,
            (await c.get(f"/v1/webhooks/{wid}/deliveries", headers=other)).status_code,
            (await c.delete(f"/v1/webhooks/{wid}", headers=other)).status_code,
            (await c.get(f"/v1/webhooks/{wid}", headers=admin(sandbox))).status_code,
        ]
    assert answers == [404, 404, 404, 200]


async def test_every_attempt_is_kept_and_a_repeat_after_a_crash_is_visible(
    sandbox: Built, worker: tuple[DeliveryWorker, Endpoint]
) -> None:
    deliver, endpoint = worker
    endpoint.answers = [503]
    domain = domain_of(sandbox.runtime.extras)
    async with client(sandbox.app) as c:
        made = await c.post(
            "/v1/webhooks", json=hook_body("log", "booking.created"), headers=TEST_KEY
        )
        wid = made.json()["data"]["id"]
        async with write(domain) as unit:
            unit.emit("booking.created", booking("booking_log"), {PATIENT})
        await deliver.run_once()  # attempt 1: 503
        failed = (await c.get(f"/v1/webhooks/{wid}/deliveries", headers=TEST_KEY)).json()
        due = datetime.now(UTC) - timedelta(seconds=1)
        async with domain.db.transaction() as session:  # the retry is due
            await session.execute(update(WebhookDelivery).values(next_retry_at=due))
        [crashed] = await deliver.claim()  # attempt 2 leased, then the server dies
        async with domain.db.transaction() as session:  # ... and its lease runs out
            await session.execute(update(WebhookDelivery).values(next_retry_at=due))
        await deliver.run_once()  # the same delivery again: 204
        log = (await c.get(f"/v1/webhooks/{wid}/deliveries", headers=TEST_KEY)).json()
    [first] = failed["data"]
    assert first["attributes"]["status"] == "failed"
    tried = first["attributes"]["attempts"][0]["started_at"]
    assert 0 < _between(tried, first["attributes"]["next_retry_at"]) < 5  # sandbox: seconds
    [delivery] = log["data"]
    assert delivery["id"] == first["id"] == crashed.id
    attempts = delivery["attributes"]["attempts"]
    assert [(a["attempt"], a["status"], a["response_status"]) for a in attempts] == [
        (1, "failed", 503),
        (2, "interrupted", None),
        (3, "succeeded", 204),
    ]
    assert attempts[0]["error"] == "the endpoint answered 503"
    assert [e["data"]["id"] for e in endpoint.got["log"]] == ["booking_log"] * 2


def _between(start: str, end: str) -> float:
    def at(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return (at(end) - at(start)).total_seconds()


async def test_seeded_example_webhooks_are_inactive_and_never_planned(
    sandbox: Built, worker: tuple[DeliveryWorker, Endpoint]
) -> None:
    deliver, _ = worker
    async with client(sandbox.app) as c:
        before = (await c.get("/v1/webhooks/wh_123/deliveries", headers=admin(sandbox))).json()
        async with write(domain_of(sandbox.runtime.extras)) as unit:
            unit.emit("booking.created", booking("booking_seed"), {PATIENT})
        await deliver.run_once()
        seeded = (await c.get("/v1/webhooks/wh_123", headers=admin(sandbox))).json()
        after = (await c.get("/v1/webhooks/wh_123/deliveries", headers=admin(sandbox))).json()
    assert seeded["data"]["attributes"]["active"] is False
    assert after["data"] == before["data"]  # the documented history only, nothing new


async def test_the_sandbox_retries_within_seconds_and_serve_on_the_production_schedule(
    sandbox: Built,
) -> None:
    domain, table = domain_of(sandbox.runtime.extras), sandbox.runtime.table
    quick = worker_for(domain, table, {}, "sandbox").settings
    slow = worker_for(domain, table, {"webhook_backoff": "production"}, "sandbox").settings
    serve = worker_for(domain, table, {}, "strict").settings
    assert [quick.delay(n) for n in range(1, 5)] == [1, 2, 4, 8] and quick.loopback
    assert 60 <= slow.delay(1) <= 66 and 7200 <= slow.delay(4) <= 7920
    assert serve.backoff == "production" and not serve.loopback
