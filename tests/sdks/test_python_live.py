"""The Python SDK against a live sandbox: typed errors, pagination, OAuth PKCE with refresh
and revocation, and the signature of a real webhook delivery."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.auth.helpers import USER
from tests.sdks.conftest import Sandbox
from tests.sdks.login import sign_in

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture
def client(fresh_sandbox: Sandbox) -> Iterator[Any]:
    from klearkarma import KlearKarmaClient

    with KlearKarmaClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url) as c:
        yield c


def test_a_missing_resource_raises_not_found_with_the_json_api_errors(client: Any) -> None:
    from klearkarma import NotFoundError

    with pytest.raises(NotFoundError) as caught:
        client.bookings.get("booking_doesnotexist")
    error = caught.value
    assert error.status_code == 404 and error.code == "RESOURCE_NOT_FOUND"
    assert error.errors[0]["status"] == "404" and error.errors[0]["detail"]
    assert error.request_id and error.request_id == error.response.headers["x-request-id"]


def test_a_body_that_breaks_the_schema_raises_422_naming_every_field(client: Any) -> None:
    from klearkarma import UnprocessableEntityError

    with pytest.raises(UnprocessableEntityError) as caught:
        client.bookings.create(
            practitioner_id="prac_123",
            scheduled_at="2024-01-01T10:00:00Z",
            duration=5,  # below the minimum of 15
            session_type="telepathy",  # not an enum value
        )
    pointers = {e["source"]["pointer"] for e in caught.value.errors}
    assert {"/data/attributes/duration", "/data/attributes/session_type"} <= pointers
    assert caught.value.code == "VALIDATION_ERROR"


def test_a_taken_slot_raises_conflict_with_the_domain_code(client: Any) -> None:
    from klearkarma import ConflictError

    slot = {
        "practitioner_id": "test_prac_123",
        "scheduled_at": "2024-01-02T09:00:00Z",
        "duration": 60,
        "session_type": "video_call",
    }
    client.bookings.create(**slot)
    with pytest.raises(ConflictError) as caught:
        client.bookings.create(**slot)
    assert caught.value.code == "BOOKING_CONFLICT"


def test_a_wrong_api_key_raises_authentication_error(fresh_sandbox: Sandbox) -> None:
    from klearkarma import AuthenticationError, KlearKarmaClient

    with KlearKarmaClient(api_key="kk_test_wrong", base_url=fresh_sandbox.url) as c:
        with pytest.raises(AuthenticationError) as caught:
            c.practitioners.search()
    assert caught.value.status_code == 401 and caught.value.errors


def test_a_missing_scope_raises_permission_denied(client: Any) -> None:
    from klearkarma import PermissionDeniedError

    with pytest.raises(PermissionDeniedError) as caught:
        # needs admin:platform; the test key is a user's
        client.batch.execute(operations=[{"id": "me", "method": "GET", "path": "/health"}])
    assert caught.value.code == "INSUFFICIENT_PERMISSIONS"


def test_pages_iterate_over_every_practitioner_once(client: Any) -> None:
    first = client.practitioners.search(limit=7)
    assert len(first) == 7 and first.has_more and first.meta["per_page"] == 7
    everyone = list(first.iter_all())
    assert len(everyone) == first.total_count == len({p["id"] for p in everyone})
    second = first.next_page()
    assert second is not None and second.offset == 7 and second[0] == everyone[7]


@pytest.mark.anyio
async def test_async_pages_iterate_over_every_practitioner(fresh_sandbox: Sandbox) -> None:
    from klearkarma import AsyncKlearKarmaClient

    async with AsyncKlearKarmaClient(
        api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url
    ) as c:
        first = await c.practitioners.search(limit=20)
        ids = [p["id"] async for p in first.iter_all()]
    assert len(ids) == first.total_count == len(set(ids)) > 20


def test_dates_and_filters_reach_the_api_in_its_formats(client: Any) -> None:
    from datetime import UTC, date, datetime

    booking = client.bookings.create(
        practitioner_id="test_prac_123",
        scheduled_at=datetime(2024, 1, 4, 9, 0, tzinfo=UTC),
        duration=30,
        session_type="phone_call",
        notes="first visit",
    )
    assert booking["attributes"]["scheduled_at"] == "2024-01-04T09:00:00Z"
    mine = client.users.list_bookings(
        "test_user_123", status="pending", from_=date(2024, 1, 4), to=date(2024, 1, 4)
    )
    assert booking["id"] in [b["id"] for b in mine]
    cancelled = client.bookings.cancel(booking["id"], reason="Schedule conflict")
    assert cancelled["attributes"]["status"] == "cancelled"


def test_oauth_pkce_sign_in_then_refresh_then_revoke(fresh_sandbox: Sandbox) -> None:
    from klearkarma import AuthenticationError, KlearKarmaClient, OAuthError, TokenSet

    with KlearKarmaClient(base_url=fresh_sandbox.url, client_id="kk-sandbox") as client:
        request = client.oauth.authorization_request(
            REDIRECT, scopes=["read:profile", "read:practitioners"]
        )
        assert "code_challenge_method=S256" in request.url
        code, state = sign_in(request.url)
        assert state == request.state
        tokens = client.oauth.exchange_code(code, request)
        assert tokens.refresh_token and tokens.scope == "read:profile read:practitioners"
        assert client.users.get("test_user_123")["attributes"]["email"] == USER

        # An access token about to expire is refreshed before the call (and rotated).
        client.config.credentials.tokens = TokenSet(
            tokens.access_token, tokens.refresh_token, expires_at=0.0
        )
        assert client.practitioners.get("test_prac_123")["id"] == "test_prac_123"
        refreshed = client.tokens
        assert refreshed is not None and refreshed.refresh_token != tokens.refresh_token

        # A token the server refuses (401) is refreshed once and the call retried.
        client.config.credentials.tokens = TokenSet("not-a-token", refreshed.refresh_token)
        assert client.users.get("test_user_123")["id"] == "test_user_123"

        client.oauth.revoke()  # the refresh token: the session ends
        with pytest.raises(OAuthError) as caught:
            client.oauth.refresh()
        assert caught.value.code == "invalid_grant"

    with KlearKarmaClient(base_url=fresh_sandbox.url, tokens=TokenSet("garbage")) as c:
        with pytest.raises(AuthenticationError):
            c.users.get("test_user_123")


class _Receiver(BaseHTTPRequestHandler):
    deliveries: queue.Queue[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.deliveries.put((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[dict[str, str], bytes]]]]:
    deliveries: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"deliveries": deliveries})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks", deliveries
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_webhook_delivery_verifies_with_the_sdk_helper(
    fresh_sandbox: Sandbox, receiver: tuple[str, queue.Queue[tuple[dict[str, str], bytes]]]
) -> None:
    from klearkarma import KlearKarmaClient, WebhookSignatureError, construct_event
    from klearkarma.webhooks import SIGNATURE_HEADER, verify_signature

    url, deliveries = receiver
    secret = "whsec_sdk_test_secret"
    with KlearKarmaClient(api_key=fresh_sandbox.admin_token, base_url=fresh_sandbox.url) as admin:
        hook = admin.webhooks.create(url=url, events=["booking.created"], secret=secret)
        try:
            with KlearKarmaClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url) as c:
                booking = c.bookings.create(
                    practitioner_id="test_prac_123",
                    scheduled_at="2024-01-05T16:00:00Z",
                    duration=60,
                    session_type="video_call",
                )
            headers, body = deliveries.get(timeout=10)
        finally:
            admin.webhooks.delete(hook["id"])
    signature = {k.lower(): v for k, v in headers.items()}[SIGNATURE_HEADER.lower()]
    event = construct_event(body, signature, secret)
    assert event["type"] == "booking.created" and event["data"]["id"] == booking["id"]
    assert verify_signature(body, signature, secret)
    assert not verify_signature(body + b" ", signature, secret)
    assert not verify_signature(body, signature, "another secret")
    with pytest.raises(WebhookSignatureError):
        construct_event(json.dumps({"type": "booking.created"}), signature, secret)


@pytest.mark.anyio
async def test_the_async_client_signs_in_with_pkce(fresh_sandbox: Sandbox) -> None:
    import anyio
    from klearkarma import AsyncKlearKarmaClient

    async with AsyncKlearKarmaClient(base_url=fresh_sandbox.url, client_id="kk-sandbox") as c:
        request = c.oauth.authorization_request(REDIRECT, scopes=["read:bookings"])
        code, _ = await anyio.to_thread.run_sync(sign_in, request.url)
        tokens = await c.oauth.exchange_code(code, request)
        assert tokens.scope == "read:bookings"
        page = await c.users.list_bookings("test_user_123")
        assert page.meta["page"] == 1
        refreshed = await c.oauth.refresh()
        assert refreshed.refresh_token != tokens.refresh_token
        await c.oauth.revoke()
