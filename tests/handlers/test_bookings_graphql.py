"""GraphQL of bookings on the sandbox's database: the same service as REST (conflicts, the
state machine, the cancellation policy, a paid booking's refund), object-level access in
the resolvers, and bookingUpdates from the handlers' events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kkapp.factory import Built
from server.auth.services import auth_of
from tests.handlers.conftest import sandbox_app
from tests.handlers.payments_support import card_body, intent_body
from tests.handlers.people import client, closing

pytestmark = pytest.mark.anyio
SCOPES = ["read:bookings", "write:bookings", "read:practitioners", "read:profile"]
USER, OTHER = "test_user_123", "user_other1"
BOOKING = """id status type scheduledAt duration notes paymentStatus
  price { amount currency } service { id name duration price { amount } }
  practitioner { id pricing { basePrice } } user { id }
  cancellationPolicy { freeUntilHours lateFeePercent }
  cancellation { cancelledBy reason fee { amount } refund { amount } }
  paymentIntent { id status amountRefunded }"""
CREATE = (
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) {"
    f" booking {{ {BOOKING} }} errors {{ field message code }} }} }}"
)
UPDATE = """mutation($input: UpdateBookingInput!) { updateBooking(input: $input) {
    booking { id status scheduledAt notes } errors { field message code } } }"""
CANCEL = (
    "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) {"
    f" booking {{ {BOOKING} }} refund {{ id amount status reason paymentIntent {{ id }} }}"
    " errors { field message code } } }"
)
READ = f"query($id: ID!) {{ booking(id: $id) {{ {BOOKING} }} }}"


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


def bearer(built: Built, subject: str = USER, **claims: Any) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, SCOPES, **claims)
    return {"Authorization": f"Bearer {token}"}


async def graphql(app: Built, query: str, who: str = USER, **variables: Any) -> dict[str, Any]:
    async with client(app) as c:
        r = await c.post(
            "/graphql", json={"query": query, "variables": variables}, headers=bearer(app, who)
        )
    body: dict[str, Any] = r.json()
    assert "errors" not in body, body
    return body["data"]


def slot(at: str = "2024-01-05T15:00:00Z", **more: Any) -> dict[str, Any]:
    return {
        "practitionerId": "test_prac_123",
        "scheduledAt": at,
        "duration": 60,
        "sessionType": "VIDEO_CALL",
        **more,
    }


async def book(app: Built, **more: Any) -> dict[str, Any]:
    done = (await graphql(app, CREATE, input=slot(**more)))["createBooking"]
    assert done["errors"] == [], done
    found: dict[str, Any] = done["booking"]
    return found


async def test_a_graphql_booking_is_the_booking_rest_shows(app: Built) -> None:
    made = await book(app, serviceId="service_test123", notes=None)
    assert (made["status"], made["type"], made["paymentStatus"]) == (
        "PENDING",
        "VIDEO_CALL",
        "PENDING",
    )
    assert made["service"]["id"] == "service_test123"
    assert made["price"] == {"amount": made["service"]["price"]["amount"], "currency": "USD"}
    assert made["user"] == {"id": USER}
    async with client(app) as c:
        rest = await c.get(f"/v1/bookings/{made['id']}", headers=bearer(app))
    a = rest.json()["data"]["attributes"]
    assert (a["scheduled_at"], a["status"], a["price"]["amount"]) == (
        made["scheduledAt"],
        "pending",
        made["price"]["amount"],
    )
    again = await graphql(app, READ, id=made["id"])
    assert again["booking"] == made


async def test_a_booking_without_a_service_is_its_own_session(app: Built) -> None:
    made = await book(app)
    assert made["service"]["duration"] == 60
    assert made["service"]["price"]["amount"] == made["practitioner"]["pricing"]["basePrice"]


async def test_a_taken_slot_is_a_booking_conflict_and_bad_input_a_validation_error(
    app: Built,
) -> None:
    await book(app)
    taken = (await graphql(app, CREATE, input=slot()))["createBooking"]
    short = (await graphql(app, CREATE, input=slot(duration=5)))["createBooking"]
    assert taken["booking"] is None and taken["errors"][0]["code"] == "BOOKING_CONFLICT"
    assert short["booking"] is None
    assert short["errors"] == [
        {"field": "duration", "message": short["errors"][0]["message"], "code": "VALIDATION_ERROR"}
    ]


async def test_only_users_book(app: Built) -> None:
    done = await graphql(app, CREATE, who="test_prac_123", input=slot())
    assert done["createBooking"]["errors"][0]["code"] == "INSUFFICIENT_PERMISSIONS"


async def test_someone_elses_booking_is_null_and_cannot_be_changed(app: Built) -> None:
    made = await book(app)
    seen = await graphql(app, "query($id: ID!) { booking(id: $id) { id } }", OTHER, id=made["id"])
    assert seen["booking"] is None
    for query, given in (
        (UPDATE, {"bookingId": made["id"], "notes": "mine now"}),
        (CANCEL, {"bookingId": made["id"]}),
    ):
        done = await graphql(app, query, OTHER, input=given)
        payload = next(iter(done.values()))
        assert payload["booking"] is None
        assert payload["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
    again = await graphql(
        app, "query($id: ID!) { booking(id: $id) { status notes } }", id=made["id"]
    )
    assert again["booking"] == {"status": "PENDING", "notes": None}


async def test_updates_follow_the_state_machine(app: Built) -> None:
    made = await book(app)
    wrong = await graphql(app, UPDATE, input={"bookingId": made["id"], "status": "COMPLETED"})
    assert wrong["updateBooking"]["errors"][0]["code"] == "INVALID_BOOKING_STATUS"
    ok = await graphql(
        app,
        UPDATE,
        "test_prac_123",
        input={"bookingId": made["id"], "status": "CONFIRMED", "notes": "see you"},
    )
    assert ok["updateBooking"]["booking"] == {
        "id": made["id"],
        "status": "CONFIRMED",
        "scheduledAt": made["scheduledAt"],
        "notes": "see you",
    }


async def test_cancelling_a_paid_booking_late_refunds_what_the_policy_gives_back(
    app: Built,
) -> None:
    made = await book(app, at="2024-01-01T10:00:00Z")  # within 24 hours: half is kept
    async with client(app) as c:
        intent = await c.post(
            "/v1/payments/intents",
            json=intent_body(made["id"], made["price"]["amount"] * 100),
            headers=bearer(app),
        )
        assert intent.status_code == 201, intent.text
        pid = intent.json()["data"]["id"]
        paid = await c.post(
            f"/v1/payments/intents/{pid}/confirm", json=card_body(), headers=bearer(app)
        )
        assert paid.status_code == 200, paid.text
    done = (await graphql(app, CANCEL, input={"bookingId": made["id"], "reason": "ill"}))[
        "cancelBooking"
    ]
    price = made["price"]["amount"]
    assert done["errors"] == []
    assert done["refund"] == {
        "id": done["refund"]["id"],
        "amount": price // 2 * 100,  # minor units, as the intent counts
        "status": "SUCCEEDED",
        "reason": "BOOKING_CANCELLED",
        "paymentIntent": {"id": pid},
    }
    b = done["booking"]
    assert (b["status"], b["paymentStatus"]) == ("CANCELLED", "PARTIALLY_REFUNDED")
    assert b["cancellation"] == {
        "cancelledBy": USER,
        "reason": "ill",
        "fee": {"amount": price - price // 2},
        "refund": {"amount": price // 2},
    }
    refunded = price // 2 * 100
    assert b["paymentIntent"] == {"id": pid, "status": "SUCCEEDED", "amountRefunded": refunded}


async def test_cancelling_an_unpaid_booking_refunds_nothing(app: Built) -> None:
    made = await book(app)
    done = (await graphql(app, CANCEL, input={"bookingId": made["id"]}))["cancelBooking"]
    assert done["refund"] is None and done["booking"]["status"] == "CANCELLED"
    twice = (await graphql(app, CANCEL, input={"bookingId": made["id"]}))["cancelBooking"]
    assert twice["errors"][0]["code"] == "INVALID_BOOKING_STATUS"


SUBSCRIBE = "subscription($u: ID!) { bookingUpdates(userId: $u) { id status service { id } } }"


def test_booking_updates_reach_the_user_once_per_change_and_no_one_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    sandbox = sandbox_app(str(tmp_path))  # its lifespan (TestClient) migrates and seeds
    user, other = bearer(sandbox), bearer(sandbox, OTHER)
    with (
        TestClient(sandbox.app) as tc,
        tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as mine,
        tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as theirs,
    ):
        for ws, who in ((mine, user), (theirs, other)):
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": who["Authorization"]}}
            )
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"u": USER}},
                }
            )
        refused = theirs.receive_json()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSIONS"
        later = slot("2030-01-08T15:00:00Z")
        made = tc.post(
            "/graphql", json={"query": CREATE, "variables": {"input": later}}, headers=user
        )
        bid = made.json()["data"]["createBooking"]["booking"]["id"]
        cancelled = tc.post(
            "/graphql",
            json={"query": CANCEL, "variables": {"input": {"bookingId": bid}}},
            headers=user,
        )
        assert cancelled.json()["data"]["cancelBooking"]["errors"] == []
        first, second = mine.receive_json(), mine.receive_json()
        seen = [m["payload"]["data"]["bookingUpdates"] for m in (first, second)]
        assert [(s["id"], s["status"]) for s in seen] == [(bid, "PENDING"), (bid, "CANCELLED")]
        assert seen[0]["service"]["id"] == f"session_{bid}"
        mine.send_json({"id": "1", "type": "complete"})
        mine.send_json({"type": "ping"})
        assert mine.receive_json()["type"] == "pong"  # nothing else (no repeated update) came
