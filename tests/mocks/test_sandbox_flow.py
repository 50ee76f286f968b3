"""A frontend's flow against the sandbox, with nothing else running: REST, a signed webhook
on a local receiver, the /ws API and a GraphQL subscription, all from the same store."""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import Built, build
from server.auth.services import auth_of

SECRET = "whsec_frontend_flow_secret"
USER = "test_user_123"
USER_SCOPES = ["read:profile", "read:practitioners", "read:bookings", "write:bookings"]
HOOK_URL = "http://receiver.test/hooks/klearkarma"
CARD = {"exp_month": 12, "exp_year": 2030, "cvc": "123"}


class Receiver:
    """A webhook endpoint: records what it receives; fails the first `failures` attempts."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures = failures
        self.app = Route("/hooks/klearkarma", self.hook, methods=["POST"])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if self.failures > 0:
            self.failures -= 1
            return Response(status_code=503)
        self.received.append((dict(request.headers), body))
        return Response(status_code=204)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [orjson.loads(body) for _, body in self.received]
        return [e for e in found if kind is None or e["type"] == kind]


def verify_webhook(payload: bytes, signature: str, secret: str) -> bool:
    """The reference's verifyWebhook, in Python: hex HMAC-SHA256 of the raw body."""
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(bytes.fromhex(signature), bytes.fromhex(expected))


def sandbox(receiver: Receiver) -> Built:
    transport = httpx.ASGITransport(app=receiver.app)
    return build(
        AppConfig(
            "sandbox",
            data_dir=tempfile.mkdtemp(prefix="kk-flow-"),
            rate_limits="off",
            options={"webhook_transport": transport, "webhook_retry_base": 0.05},
        )
    )


def bearer(
    built: Built, subject: str, scopes: list[str], user_type: str = "patient"
) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, scopes, user_type=user_type)
    return {"Authorization": f"Bearer {token}"}


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def book(tc: TestClient, auth: dict[str, str], slot: str) -> httpx.Response:
    attributes = {
        "practitioner_id": "test_prac_123",
        "scheduled_at": slot,
        "duration": 60,
        "session_type": "video_call",
    }
    return tc.post(
        "/v1/bookings", json={"data": {"type": "booking", "attributes": attributes}}, headers=auth
    )


def pay(
    tc: TestClient, auth: dict[str, str], booking: dict[str, Any], number: str
) -> httpx.Response:
    intent = tc.post(
        "/v1/payments/intents",
        json={
            "data": {
                "type": "payment_intent",
                "attributes": {"booking_id": booking["id"], "amount": 5000, "currency": "USD"},
            }
        },
        headers=auth,
    )
    assert intent.status_code == 201, intent.text
    method = {"type": "card", "card": {"number": number, **CARD}}
    return tc.post(
        f"/v1/payments/intents/{intent.json()['data']['id']}/confirm",
        json={"data": {"type": "payment_intent", "attributes": {"payment_method": method}}},
        headers=auth,
    )


@pytest.fixture
def flow() -> Iterator[tuple[TestClient, Built, Receiver]]:
    receiver = Receiver()
    built = sandbox(receiver)
    with TestClient(built.app) as tc:
        yield tc, built, receiver


GRAPHQL_BOOKINGS = """
subscription Updates($userId: ID!) {
  bookingUpdates(userId: $userId) {
    id status paymentStatus scheduledAt
    practitioner { id user { firstName lastName } }
  }
}"""


def test_a_frontend_books_and_pays_and_sees_it_on_webhooks_ws_and_graphql(
    flow: tuple[TestClient, Built, Receiver],
) -> None:
    tc, built, receiver = flow
    user = bearer(built, USER, USER_SCOPES)
    admin = bearer(built, "test_admin_1", ["admin:platform"], "admin")
    hook = tc.post(
        "/v1/webhooks",
        json={
            "data": {
                "type": "webhook",
                "attributes": {
                    "url": HOOK_URL,
                    "events": ["booking.created", "payment.completed", "payment.failed"],
                    "secret": SECRET,
                },
            }
        },
        headers=admin,
    )
    assert hook.status_code == 201, hook.text
    webhook_id = hook.json()["data"]["id"]

    with (
        tc.websocket_connect("/ws") as ws,
        tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as gql,
    ):
        ws.send_json({"type": "auth", "token": user["Authorization"].split()[1]})
        assert ws.receive_json()["type"] == "auth_ok"
        for channel in ("bookings", "payments"):
            ws.send_json({"type": "subscribe", "channel": channel, "user_id": USER})
            assert ws.receive_json() == {"type": "subscribed", "channel": channel}
        gql.send_json(
            {"type": "connection_init", "payload": {"authorization": user["Authorization"]}}
        )
        assert gql.receive_json()["type"] == "connection_ack"
        gql.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": GRAPHQL_BOOKINGS, "variables": {"userId": USER}},
            }
        )

        # search, availability, booking
        found = tc.get(
            "/v1/practitioners", params={"specialization": "reiki", "limit": 100}, headers=user
        )
        assert found.status_code == 200
        assert "test_prac_123" in [p["id"] for p in found.json()["data"]]
        slots = tc.get("/v1/practitioners/test_prac_123/availability", headers=user).json()
        slot = next(s for s in slots["data"]["attributes"]["slots"] if s["available"])
        booked = book(tc, user, slot["start_time"])
        assert booked.status_code == 201, booked.text
        booking = booked.json()["data"]
        assert booking["attributes"]["user_id"] == USER
        assert booked.headers["location"] == f"/v1/bookings/{booking['id']}"
        again = book(tc, user, slot["start_time"])
        assert again.status_code == 409 and again.json()["errors"][0]["code"] == "BOOKING_CONFLICT"

        # pay with the success card
        paid = pay(tc, user, booking, "4242424242424242")
        assert paid.status_code == 200, paid.text
        assert paid.json()["data"]["attributes"]["status"] == "succeeded"
        read = tc.get(f"/v1/bookings/{booking['id']}", headers=user).json()["data"]
        assert read["attributes"]["payment_status"] == "succeeded"
        mine = tc.get(f"/v1/users/{USER}/bookings", headers=user).json()
        assert booking["id"] in [b["id"] for b in mine["data"]]

        # /ws: the booking and the payment, as the AsyncAPI document declares them
        created = ws.receive_json()
        assert (created["event"], created["data"]["id"]) == ("booking.created", booking["id"])
        assert created["id"].startswith("evt_")
        completed = ws.receive_json()
        assert completed["event"] == "payment.completed"
        assert completed["data"]["attributes"]["booking_id"] == booking["id"]

        # GraphQL: the creation, then the payment status change, of the same object
        first = gql.receive_json()
        assert first["type"] == "next", first
        node = first["payload"]["data"]["bookingUpdates"]
        assert node["id"] == booking["id"] and node["status"] == "PENDING"
        assert node["practitioner"] == {
            "id": "test_prac_123",
            "user": {"firstName": "Test", "lastName": "Practitioner"},
        }
        update = gql.receive_json()["payload"]["data"]["bookingUpdates"]
        assert (update["id"], update["paymentStatus"]) == (booking["id"], "SUCCEEDED")
        gql.send_json({"id": "1", "type": "complete"})

    # retry with the decline card: a new booking, a new intent, a 402
    other = next(s for s in slots["data"]["attributes"]["slots"][1:] if s["available"])
    second = book(tc, user, other["start_time"]).json()["data"]
    declined = pay(tc, user, second, "4000000000000002")
    assert declined.status_code == 402
    assert declined.json()["errors"][0]["meta"]["decline_code"] == "card_declined"

    # the webhook receiver got every subscribed event, signed as the reference verifies it
    wait_for(lambda: receiver.events("payment.failed"))
    for headers, body in receiver.received:
        assert verify_webhook(body, headers["x-klearkarma-signature"], SECRET)
        event = orjson.loads(body)
        assert headers["x-klearkarma-event"] == event["type"]
        assert headers["x-klearkarma-delivery"].startswith("dlv_")
        assert set(event) == {"id", "type", "created_at", "data"}
        assert set(event["data"]) == {"id", "type", "attributes"}
    [payment] = receiver.events("payment.completed")
    assert payment["data"]["attributes"]["status"] == "succeeded"
    assert [e["data"]["id"] for e in receiver.events("booking.created")] == [
        booking["id"],
        second["id"],
    ]

    # the delivery log (each outcome is recorded right after the endpoint answered), and a
    # redelivery of the same event under a new delivery id
    def logged() -> Any:
        found = tc.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=admin).json()
        statuses = {d["attributes"]["status"] for d in found["data"]}
        return found if len(found["data"]) == 4 and "pending" not in statuses else None

    log = wait_for(logged)
    assert log["meta"]["total_count"] == 4
    assert {d["attributes"]["status"] for d in log["data"]} == {"succeeded"}
    delivery = next(d for d in log["data"] if d["attributes"]["event_type"] == "payment.completed")
    again = tc.post(
        f"/v1/webhooks/{webhook_id}/deliveries/{delivery['id']}/redeliver", headers=admin
    )
    assert again.status_code == 202 and again.json()["data"]["id"] != delivery["id"]
    wait_for(lambda: len(receiver.events("payment.completed")) == 2)
    first_copy, second_copy = receiver.events("payment.completed")
    assert first_copy == second_copy


def test_a_failing_endpoint_is_retried_with_backoff_and_the_log_shows_each_attempt() -> None:
    receiver = Receiver(failures=2)
    built = sandbox(receiver)
    with TestClient(built.app) as tc:
        admin = bearer(built, "test_admin_1", ["admin:platform"], "admin")
        user = bearer(built, USER, USER_SCOPES)
        hook = tc.post(
            "/v1/webhooks",
            json={
                "data": {
                    "type": "webhook",
                    "attributes": {"url": HOOK_URL, "events": ["booking.created"]},
                }
            },
            headers=admin,
        )
        assert hook.status_code == 201
        secret = hook.json()["meta"]["secret"]  # generated, shown once
        assert book(tc, user, "2024-01-02T09:00:00Z").status_code == 201
        [(headers, body)] = wait_for(lambda: receiver.received)
        assert verify_webhook(body, headers["x-klearkarma-signature"], secret)
        webhook_id = hook.json()["data"]["id"]

        def settled() -> Any:
            log = tc.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=admin).json()["data"]
            return log if log and log[0]["attributes"]["status"] == "succeeded" else None

        [delivery] = wait_for(settled)
        assert delivery["attributes"]["attempt"] == 3
        assert delivery["attributes"]["response_status"] == 204
        assert delivery["attributes"]["next_retry_at"] is None


MESSAGES = """
subscription Chat($conversationId: ID!) {
  messageAdded(conversationId: $conversationId) { id content type sender { id } }
}"""


def test_chat_reaches_the_other_party_and_graphql_but_not_outsiders() -> None:
    built = sandbox(Receiver())
    user = bearer(built, USER, ["read:messages", "write:messages"])
    practitioner = bearer(built, "test_prac_123", ["read:messages"], "practitioner")
    outsider = bearer(built, "user_999", ["read:messages"])
    with (
        TestClient(built.app) as tc,
        tc.websocket_connect("/ws") as sender,
        tc.websocket_connect("/ws") as other,
        tc.websocket_connect("/ws") as stranger,
        tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as gql,
    ):
        for ws, auth in ((sender, user), (other, practitioner), (stranger, outsider)):
            ws.send_json({"type": "auth", "token": auth["Authorization"].split()[1]})
            assert ws.receive_json()["type"] == "auth_ok"
        for ws in (other, stranger):
            ws.send_json(
                {"type": "subscribe", "channel": "messages", "conversation_id": "conv_test123"}
            )
            assert ws.receive_json()["type"] == "subscribed"
        gql.send_json(
            {"type": "connection_init", "payload": {"authorization": user["Authorization"]}}
        )
        assert gql.receive_json()["type"] == "connection_ack"
        gql.send_json(
            {
                "id": "chat",
                "type": "subscribe",
                "payload": {"query": MESSAGES, "variables": {"conversationId": "conv_test123"}},
            }
        )
        # graphql-transport-ws does not acknowledge a subscribe; a ping answered after it
        # means it was handled (and the subscription is live), before anyone sends
        gql.send_json({"type": "ping"})
        assert gql.receive_json() == {"type": "pong"}
        sender.send_json(
            {
                "type": "message",
                "conversation_id": "conv_test123",
                "content": "Hi!",
                "message_type": "text",
            }
        )
        hi = sender.receive_json()
        assert hi["content"] == "Hi!" and hi["sender_id"] == USER
        assert other.receive_json() == hi
        # stored like a REST message: GraphQL hears it with the id the sender got back
        added = gql.receive_json()["payload"]["data"]["messageAdded"]
        assert added == {"id": hi["id"], "content": "Hi!", "type": "TEXT", "sender": {"id": USER}}
        sent = tc.post(
            "/v1/conversations/conv_test123/messages",
            json={"data": {"type": "message", "attributes": {"content": "See you tomorrow"}}},
            headers=user,
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["data"]["attributes"]["sender_id"] == USER
        added = gql.receive_json()["payload"]["data"]["messageAdded"]
        assert added == {
            "id": sent.json()["data"]["id"],
            "content": "See you tomorrow",
            "type": "TEXT",
            "sender": {"id": USER},
        }
        stranger.send_json({"type": "ping"})
        assert stranger.receive_json() == {"type": "pong"}  # nothing of the chat came first
