"""The Klear Karma spec served by `kk sandbox`'s app: REST, GraphQL and /ws answer the reference."""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from generated import api_table
from kkapp.config import AppConfig
from kkapp.factory import Built
from mocks.fake import FakeData
from server.auth.services import auth_of, declared_scopes
from server.schemas import standalone
from tests.engine import client
from tests.seeded import seeded_build
from tests.spec.reference_documents import graphql_documents

pytestmark = pytest.mark.anyio
FAKE = FakeData(seed=7)
# The operations the sandbox serves: the flagship's generated table, which its app is built from.
OPERATIONS = api_table.TABLE["operations"]


@dataclass(frozen=True)
class Flagship:
    built: Built
    token: str  # an administrator's: every scope, so object-level rules (x-owner) let it act on
    auth: dict[str, str]  # the example ids (tests/auth checks those rules and the scopes)
    user_auth: dict[str, str]  # sessions are booked by users (a booking's user_id is its creator)

    @property
    def app(self) -> Any:
        return self.built.app


def fresh_flagship() -> Flagship:
    """A sandbox of its own. The spec's examples are dated from 2024-01-01 (a share "until
    2024-12-31" is ahead of that day, and at most a year ahead): the sandbox answering them
    keeps its clock there. The /ws tests each take one: a TestClient runs the app's lifespan on
    a loop of its own, and the shared app's pool, bus and webhook worker have served other
    loops before (the async tests', earlier TestClients'); once in a full `make check` run its
    shutdown then never finished (pytest-timeout after 300 s)."""
    built = seeded_build(  # from the seeded template: a database of its own
        AppConfig(
            "sandbox",
            data_dir=tempfile.mkdtemp(prefix="kk-flagship-"),
            options={"now": "2024-01-01T00:00:00Z"},
        )
    )
    scopes = declared_scopes(built.runtime.table)
    issuer = auth_of(built.runtime.extras)
    token = issuer.issue_token("test_admin_1", scopes, user_type="admin")
    user_token = issuer.issue_token("test_user_123", scopes)
    return Flagship(
        built,
        token,
        {"Authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {user_token}"},
    )


@functools.cache
def flagship() -> Flagship:
    """The sandbox the module's tests share, built on first use rather than at import (every
    pytest-xdist worker imports every module, whether it runs these tests or not)."""
    return fresh_flagship()


@pytest.fixture(autouse=True, scope="module")
def built_outside_an_event_loop() -> None:
    """Built by a sync fixture, as at import before: built inside an async test, parts of the
    app would belong to that test's event loop and fail the TestClient tests after it."""
    flagship()


def test_the_parametrized_operations_are_the_ones_the_sandbox_serves() -> None:
    assert OPERATIONS == flagship().built.runtime.table["operations"]


# The token endpoint's example redeems the sandbox's published test code (handlers/rest/oauth.py).
# The sandbox is stateful: the seeded booking_123 (the reference's) holds the slot of the
# reference's createBooking example, so that one would be a 409 double booking.
EXAMPLE = {"createBooking": "test_practitioner"}

VARIABLES = {
    "GetUserProfile": {"userId": "test_user_123"},
    "SearchPractitioners": {"specialization": "yoga", "first": 5},
    "CreateBooking": {
        "input": {
            "practitionerId": "test_prac_123",
            "serviceId": "service_123",
            "scheduledAt": "2024-01-01T10:00:00Z",
            "duration": 60,
            "sessionType": "VIDEO_CALL",
        }
    },
}


def example_request(op_id: str) -> tuple[str, str, dict[str, Any]]:
    """Method, URL and httpx kwargs built from the spec's own examples of one operation."""
    spec = OPERATIONS[op_id]
    url = spec["path"]
    query: dict[str, Any] = {}
    for p in spec["parameters"]:
        if not p["required"] or p["location"] == "header":
            continue
        schema = standalone(p["schema"], flagship().built.runtime.table["defs"])
        examples = schema.get("examples") or [FAKE.instance(schema, key=f"{op_id}:{p['name']}")]
        value = examples[0]
        if p["location"] == "path":
            url = url.replace("{" + p["name"] + "}", str(value))
        else:
            query[p["name"]] = value
    kwargs: dict[str, Any] = {}
    body = spec.get("request_body")
    if body:
        media_type, media = next(iter(body["content"].items()))
        examples = media.get("examples") or {}
        example = examples.get(EXAMPLE.get(op_id, ""), next(iter(examples.values()), None))
        if media_type == "application/json":
            kwargs["json"] = example
        elif media_type == "application/x-www-form-urlencoded":
            kwargs["data"] = example
        else:
            kwargs["files"] = {"file": ("report.pdf", b"%PDF-1.4 test", "application/pdf")}
            kwargs["data"] = {"message": "Here's the health report we discussed"}
    if query:
        kwargs["params"] = query
    return spec["method"], url, kwargs


# Payments are on handlers: they pay bookings stored in the database, which the bookings
# handlers write (until those are bound too, these cases cannot run in this app).
UNPAID = {"createPaymentIntent", "confirmPaymentIntent"}


async def unpaid_intent_request(c: Any) -> dict[str, Any]:
    """createPaymentIntent's example, for a new booking of the test practitioner."""
    _, booking_url, booking = example_request("createBooking")
    made = (await c.post(booking_url, headers=flagship().user_auth, **booking)).json()["data"]
    price = made["attributes"]["price"]
    body = example_request("createPaymentIntent")[2]["json"]
    attributes = {**body["data"]["attributes"], "booking_id": made["id"]}
    attributes.update(amount=price["amount"] * 100, currency=price["currency"])
    return {**body, "data": {**body["data"], "attributes": attributes}}


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
async def test_every_operation_answers_its_own_examples_with_a_spec_valid_response(
    op_id: str,
) -> None:
    method, url, kwargs = example_request(op_id)
    async with client(flagship().app) as c:
        assert (
            await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        ).status_code == 200  # each from the seed
        if op_id in UNPAID:
            # the seeded booking_123 is paid (pi_123): pay a new booking instead
            kwargs["json"] = await unpaid_intent_request(c)
            if op_id == "confirmPaymentIntent":
                _, create_url, create = example_request("createPaymentIntent")
                created = await c.post(create_url, headers=flagship().auth, **kwargs)
                url = url.replace("pi_123", created.json()["data"]["id"])
                kwargs["json"] = example_request(op_id)[2]["json"]
        if op_id == "createWebhook":  # one webhook per URL (409): free the seeded example's URL
            taken = (await c.get("/v1/webhooks", headers=flagship().auth)).json()["data"]
            wanted = kwargs["json"]["data"]["attributes"]["url"]
            for hook in (h for h in taken if h["attributes"]["url"] == wanted):
                assert (
                    await c.delete(f"/v1/webhooks/{hook['id']}", headers=flagship().auth)
                ).is_success
        if op_id == "verifyUserEmail":  # the token of a change started now (the sandbox shows it)
            change = {
                "data": {
                    "type": "user",
                    "id": "user_123",
                    "attributes": {"email": "new@example.com"},
                }
            }
            started = await c.put("/v1/users/user_123", headers=flagship().auth, json=change)
            token = started.json()["meta"]["email_verification"]["token"]
            kwargs["json"]["data"]["attributes"]["token"] = token
        who = flagship().user_auth if op_id == "createBooking" else flagship().auth
        r = await c.request(method, url, headers=who, **kwargs)
    assert r.status_code < 400, (url, r.text[:800])
    assert r.headers["x-ratelimit-limit"].isdigit()


@pytest.mark.parametrize("name", ["GetUserProfile", "SearchPractitioners", "CreateBooking"])
async def test_graphql_answers_the_references_documents(name: str) -> None:
    query = graphql_documents()[name]
    async with client(flagship().app) as c:
        r = await c.post(
            "/graphql", json={"query": query, "variables": VARIABLES[name]}, headers=flagship().auth
        )
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, body
    assert body["data"]


async def test_graphql_answers_are_deterministic() -> None:
    query = graphql_documents()["SearchPractitioners"]
    async with client(flagship().app) as c:
        a = await c.post(
            "/graphql",
            json={"query": query, "variables": VARIABLES["SearchPractitioners"]},
            headers=flagship().auth,
        )
        b = await c.post(
            "/graphql",
            json={"query": query, "variables": VARIABLES["SearchPractitioners"]},
            headers=flagship().auth,
        )
    assert a.content == b.content
    assert len(a.json()["data"]["practitioners"]["edges"]) == 5


async def test_a_graphql_syntax_error_carries_a_validation_code() -> None:
    async with client(flagship().app) as c:
        r = await c.post("/graphql", json={"query": "{ practitioners( }"}, headers=flagship().auth)
    errors = r.json()["errors"]
    assert errors[0]["extensions"]["code"] == "VALIDATION_ERROR"


REFERENCE_FRAMES = [
    {"type": "subscribe", "channel": "bookings", "user_id": "user_123"},
    {"type": "message", "conversation_id": "conv_123", "content": "Hello!", "message_type": "text"},
    {"type": "typing", "conversation_id": "conv_123", "is_typing": True},
    {
        "type": "webrtc_signal",
        "booking_id": "booking_123",
        "signal_type": "offer",
        "signal_data": {"sdp": "...", "type": "offer"},
    },
]


def test_ws_accepts_the_references_frames_after_auth() -> None:
    sandbox = fresh_flagship()
    with TestClient(sandbox.app) as tc, tc.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": sandbox.token})
        assert ws.receive_json()["type"] == "auth_ok"
        ws.send_json(REFERENCE_FRAMES[0])
        assert ws.receive_json() == {"type": "subscribed", "channel": "bookings"}
        ws.send_json(REFERENCE_FRAMES[1])
        echoed = ws.receive_json()
        assert echoed["type"] == "message" and echoed["content"] == "Hello!"
        for frame in REFERENCE_FRAMES[2:]:
            ws.send_json(frame)
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_ws_answers_an_invalid_frame_with_an_error_and_stays_open() -> None:
    with TestClient(fresh_flagship().app) as tc, tc.websocket_connect("/ws") as ws:
        ws.send_text("not json")
        assert ws.receive_json()["code"] == "VALIDATION_ERROR"
        ws.send_json({"type": "subscribe", "channel": "bookings"})
        assert ws.receive_json()["code"] == "AUTHENTICATION_REQUIRED"
        ws.send_json({"type": "auth", "token": ""})
        error = ws.receive_json()
        assert error["code"] == "VALIDATION_ERROR" and error["pointer"] == "/token"
        ws.send_json({"type": "teleport"})
        assert ws.receive_json()["pointer"] == "/type"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_ws_relays_chat_to_other_subscribers_of_the_conversation() -> None:
    sandbox = fresh_flagship()
    with (
        TestClient(sandbox.app) as tc,
        tc.websocket_connect("/ws") as alice,
        tc.websocket_connect("/ws") as bob,
    ):
        for ws in (alice, bob):
            ws.send_json({"type": "auth", "token": sandbox.token})
            ws.receive_json()
        bob.send_json({"type": "subscribe", "channel": "messages", "conversation_id": "conv_123"})
        assert bob.receive_json()["type"] == "subscribed"
        alice.send_json(REFERENCE_FRAMES[1])
        assert alice.receive_json()["type"] == "message"
        relayed = bob.receive_json()
        assert relayed["type"] == "message" and relayed["content"] == "Hello!"
        assert relayed["id"].startswith("msg_")
