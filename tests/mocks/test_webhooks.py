"""The mock engine's webhook dispatcher (`kk mock`, `kk sandbox --no-handlers`): the same
rules as the handlers' worker — who receives what, every attempt in the log, refusals,
retries within seconds, redelivery — on the in-memory store."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import Built, build
from mocks.webhooks import WebhookDispatcher
from tests.mocks.test_sandbox_flow import USER, USER_SCOPES, bearer, book, wait_for

TEST_KEY = {"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"}
CLOSE = WebhookDispatcher.close


class Endpoints:
    """In-process receivers by path; `answers` are the statuses of the first attempts."""

    def __init__(self, *answers: int) -> None:
        self.got: dict[str, list[tuple[dict[str, str], bytes]]] = {}
        self.answers = list(answers)
        self.transport = httpx.ASGITransport(app=Route("/{who}", self.hook, methods=["POST"]))

    async def hook(self, request: Request) -> Response:
        self.got.setdefault(request.path_params["who"], []).append(
            (dict(request.headers), await request.body())
        )
        return Response(status_code=self.answers.pop(0) if self.answers else 204)

    def ids(self, who: str) -> list[str]:
        return [orjson.loads(body)["data"]["id"] for _, body in self.got.get(who, [])]


def app(endpoints: Endpoints | None, mode: str = "sandbox", **options: Any) -> Built:
    if endpoints is not None:
        options["webhook_transport"] = endpoints.transport
    return build(
        AppConfig(
            mode,  # type: ignore[arg-type]
            handlers=False,
            data_dir=tempfile.mkdtemp(prefix="kk-mockhooks-"),
            rate_limits="off",
            options={"webhook_retry_base": 0.02, **options},
        )
    )


def register(tc: TestClient, who: str, headers: dict[str, str], *events: str) -> Any:
    body = {
        "data": {
            "type": "webhook",
            "attributes": {"url": f"http://receiver.test/{who}", "events": list(events)},
        }
    }
    return tc.post("/v1/webhooks", json=body, headers=headers)


def log_of(tc: TestClient, wid: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return list(tc.get(f"/v1/webhooks/{wid}/deliveries", headers=headers).json()["data"])


@pytest.fixture
def endpoints() -> Iterator[Endpoints]:
    yield Endpoints()


def test_each_webhook_gets_only_the_events_its_owner_may_read(endpoints: Endpoints) -> None:
    built = app(endpoints)
    admin = bearer(built, "test_admin_1", ["admin:platform"], "admin")
    stranger = bearer(built, "user_9", USER_SCOPES)
    with TestClient(built.app) as tc:
        made = [
            register(tc, "mine", TEST_KEY, "booking.created"),
            register(tc, "all", admin, "booking.created"),
            register(tc, "stranger", stranger, "booking.created"),
        ]
        assert [m.status_code for m in made] == [201, 201, 201]
        booked = book(tc, bearer(built, USER, USER_SCOPES), "2024-01-02T09:00:00Z").json()
        wait_for(lambda: endpoints.ids("mine") and endpoints.ids("all"))
        stranger_log = log_of(tc, made[2].json()["data"]["id"], stranger)
        listed = tc.get("/v1/webhooks", headers=TEST_KEY).json()["data"]
        peek = tc.get(f"/v1/webhooks/{made[0].json()['data']['id']}", headers=stranger)
    assert peek.status_code == 404
    assert endpoints.ids("mine") == endpoints.ids("all") == [booked["data"]["id"]]
    assert "stranger" not in endpoints.got and stranger_log == []
    assert [w["id"] for w in listed] == [made[0].json()["data"]["id"]]  # only its own


def test_a_webhook_for_events_without_their_scope_is_refused_and_not_stored() -> None:
    built = app(None)
    profile_only = bearer(built, USER, ["read:profile"])
    with TestClient(built.app) as tc:
        refused = register(tc, "p", profile_only, "booking.created", "user.updated")
        listed = tc.get("/v1/webhooks", headers=bearer(built, "a", ["admin:platform"])).json()
    [error] = refused.json()["errors"]
    assert refused.status_code == 403 and error["source"]["pointer"] == "/data/attributes/events/0"
    assert "http://receiver.test/p" not in str(listed)


def test_failed_attempts_are_retried_within_seconds_each_kept_and_signed_the_standard_way() -> None:
    endpoints = Endpoints(503, 500)
    built = app(endpoints)
    with TestClient(built.app) as tc:
        made = register(tc, "retry", TEST_KEY, "booking.created")
        secret, wid = made.json()["meta"]["secret"], made.json()["data"]["id"]
        book(tc, TEST_KEY, "2024-01-02T09:00:00Z")

        def done() -> Any:
            log = log_of(tc, wid, TEST_KEY)
            return log if log and log[0]["attributes"]["status"] == "succeeded" else None

        [delivery] = wait_for(done)
    attempts = delivery["attributes"]["attempts"]
    assert [(a["attempt"], a["status"], a["response_status"]) for a in attempts] == [
        (1, "failed", 503),
        (2, "failed", 500),
        (3, "succeeded", 204),
    ]
    assert delivery["attributes"]["attempt"] == 3 and delivery["attributes"]["delivered_at"]
    headers, body = endpoints.got["retry"][-1]
    assert Webhook(secret).verify(body, headers)["id"] == headers["webhook-id"]


def test_a_refused_target_is_logged_once_and_never_retried() -> None:
    built = app(None, webhook_hosts="")
    with TestClient(built.app) as tc:
        made = register(tc, "far", TEST_KEY, "booking.created")
        wid = made.json()["data"]["id"]
        book(tc, TEST_KEY, "2024-01-02T09:00:00Z")
        [delivery] = wait_for(
            lambda: [d for d in log_of(tc, wid, TEST_KEY) if d["attributes"]["status"] != "pending"]
        )
    attrs = delivery["attributes"]
    assert (attrs["status"], attrs["response_status"], attrs["next_retry_at"]) == (
        "refused",
        None,
        None,
    )
    assert [a["status"] for a in attrs["attempts"]] == ["refused"]


def test_a_redelivery_sends_the_logged_event_again_and_a_seeded_one_its_example(
    endpoints: Endpoints,
) -> None:
    built = app(endpoints)
    admin = bearer(built, "test_admin_1", ["admin:platform"], "admin")
    with TestClient(built.app) as tc:
        made = register(tc, "again", TEST_KEY, "booking.created")
        wid = made.json()["data"]["id"]
        book(tc, TEST_KEY, "2024-01-02T09:00:00Z")
        [first] = wait_for(
            lambda: [
                d for d in log_of(tc, wid, TEST_KEY) if d["attributes"]["status"] == "succeeded"
            ]
        )
        again = tc.post(f"/v1/webhooks/{wid}/deliveries/{first['id']}/redeliver", headers=TEST_KEY)
        wait_for(lambda: len(endpoints.ids("again")) == 2)
        seeded = log_of(tc, "wh_123", admin)
        replay = tc.post(
            f"/v1/webhooks/wh_123/deliveries/{seeded[0]['id']}/redeliver", headers=admin
        )
        missing = tc.post(f"/v1/webhooks/{wid}/deliveries/dlv_nope/redeliver", headers=TEST_KEY)
        hook = tc.get("/v1/webhooks/wh_123", headers=admin).json()
    assert again.status_code == 202 and again.json()["data"]["id"] != first["id"]
    first_body, second_body = (body for _, body in endpoints.got["again"])
    assert first_body == second_body
    assert hook["data"]["attributes"]["active"] is False  # seeded inactive, never sent
    assert replay.status_code == 202 and missing.status_code == 404


def test_deleting_a_webhook_drops_its_pending_retries() -> None:
    endpoints = Endpoints(*([503] * 10))
    built = app(endpoints, webhook_retry_base=0.5)
    with TestClient(built.app) as tc:
        wid = register(tc, "gone", TEST_KEY, "booking.created").json()["data"]["id"]
        book(tc, TEST_KEY, "2024-01-02T09:00:00Z")
        wait_for(lambda: endpoints.got.get("gone"))
        assert tc.delete(f"/v1/webhooks/{wid}", headers=TEST_KEY).status_code == 204
        sent = len(endpoints.got["gone"])
        time.sleep(1.6)  # past the next retry (0.5 s, then 1 s after the one before)
    assert len(endpoints.got["gone"]) == sent


def test_a_webhook_the_stores_bound_evicts_drops_its_pending_retries_too() -> None:
    endpoints = Endpoints(*([503] * 10))
    built = app(endpoints, webhook_retry_base=0.5, max_records=1)
    with TestClient(built.app) as tc:
        wid = register(tc, "gone", TEST_KEY, "booking.created").json()["data"]["id"]
        book(tc, TEST_KEY, "2024-01-02T09:00:00Z")
        wait_for(lambda: endpoints.got.get("gone"))
        dispatcher = next(
            f.__self__ for f in built.parts.shutdown if getattr(f, "__func__", None) is CLOSE
        )
        assert dispatcher.tasks.get(wid)  # a retry waits
        assert register(tc, "next", TEST_KEY, "payment.completed").status_code == 201
        assert tc.get(f"/v1/webhooks/{wid}", headers=TEST_KEY).status_code == 404
        assert not dispatcher.tasks.get(wid)  # dropped with it, not left to wake up
        sent = len(endpoints.got["gone"])
        time.sleep(1.6)  # past the next retry (0.5 s, then 1 s after the one before)
    assert len(endpoints.got["gone"]) == sent


def test_kk_mock_without_authentication_delivers_every_event(endpoints: Endpoints) -> None:
    built = app(endpoints, mode="mock")
    with TestClient(built.app) as tc:
        register(tc, "open", {}, "booking.created")
        book(tc, {}, "2024-01-02T09:00:00Z")
        wait_for(lambda: endpoints.ids("open"))
