"""The delivery log's refusals and filters on both databases: redelivering an unknown
delivery, another webhook's delivery or of an unknown webhook is 404 and queues nothing;
the log filters by status; the listing pages newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.domain.context import domain_of
from handlers.storage.models import WebhookDelivery
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client

pytestmark = pytest.mark.anyio
SEEDED = "wh_123"  # the spec's example webhook, with its example delivery log


@pytest.fixture
async def sandbox(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain_of(sandbox.runtime.extras).db.close()


def admin(built: Built) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token("test_admin_1", ["admin:platform"])
    return {"Authorization": f"Bearer {token}"}


def hook(url: str) -> dict[str, Any]:
    return {"data": {"type": "webhook", "attributes": {"url": url, "events": ["booking.created"]}}}


async def planned(built: Built) -> int:
    async with domain_of(built.runtime.extras).db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


async def test_redelivering_what_is_not_that_webhooks_delivery_is_404(sandbox: Built) -> None:
    headers = admin(sandbox)
    async with client(sandbox.app) as c:
        log = await c.get(f"/v1/webhooks/{SEEDED}/deliveries", headers=headers)
        assert log.status_code == 200, log.text
        seeded = log.json()["data"][0]["id"]
        made = await c.post("/v1/webhooks", json=hook("http://other.test/h"), headers=headers)
        other = made.json()["data"]["id"]
        before = await planned(sandbox)
        foreign = await c.post(
            f"/v1/webhooks/{other}/deliveries/{seeded}/redeliver", headers=headers
        )
        unknown = await c.post(
            f"/v1/webhooks/{SEEDED}/deliveries/dlv_nothere1/redeliver", headers=headers
        )
        no_hook = await c.post(
            f"/v1/webhooks/wh_nothere1/deliveries/{seeded}/redeliver", headers=headers
        )
        own = await c.post(f"/v1/webhooks/{SEEDED}/deliveries/{seeded}/redeliver", headers=headers)
    assert [foreign.status_code, unknown.status_code, no_hook.status_code] == [404, 404, 404]
    assert foreign.json()["errors"][0]["source"] == {"parameter": "delivery_id"}
    assert own.status_code == 202, own.text
    assert own.json()["data"]["attributes"]["status"] == "pending"
    assert await planned(sandbox) == before + 1  # only the allowed redelivery was queued


async def test_the_delivery_log_filters_by_status(sandbox: Built) -> None:
    headers = admin(sandbox)
    url = f"/v1/webhooks/{SEEDED}/deliveries"
    async with client(sandbox.app) as c:
        everything = (await c.get(url, headers=headers)).json()["data"]
        statuses = {d["attributes"]["status"] for d in everything}
        by_status = {
            s: (await c.get(url, params={"status": s}, headers=headers)).json()["data"]
            for s in statuses
        }
    assert everything
    for status, found in by_status.items():
        assert found and {d["attributes"]["status"] for d in found} == {status}
    assert sum(len(found) for found in by_status.values()) == len(everything)


async def test_the_webhook_listing_pages_without_gaps_or_repeats(sandbox: Built) -> None:
    headers = admin(sandbox)
    async with client(sandbox.app) as c:
        for n in range(3):
            made = await c.post("/v1/webhooks", json=hook(f"http://r{n}.test/h"), headers=headers)
            assert made.status_code == 201, made.text
        whole = (await c.get("/v1/webhooks", params={"limit": 100}, headers=headers)).json()
        pages = [
            (await c.get("/v1/webhooks", params={"limit": 2, "offset": o}, headers=headers)).json()
            for o in range(0, len(whole["data"]), 2)
        ]
    paged = [w["id"] for p in pages for w in p["data"]]
    assert paged == [w["id"] for w in whole["data"]]
    assert len(paged) == len(set(paged)) >= 3
