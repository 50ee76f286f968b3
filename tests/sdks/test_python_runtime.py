"""The Python SDK's runtime without a server (httpx.MockTransport): retries, request
encoding, environments, token refresh, PKCE and webhook signatures. (conftest.py puts
sdks/python on sys.path before this module is imported.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from klearkarma import (
    OMIT,
    PKCE,
    AuthenticationError,
    ConfigurationError,
    KlearKarmaClient,
    RateLimitError,
    RetryPolicy,
    TokenSet,
)
from klearkarma.config import resolve_urls
from klearkarma.oauth import challenge_of
from klearkarma.webhooks import sign, verify_signature

Handler = Callable[[httpx.Request], httpx.Response]
BOOKING = {"data": {"id": "booking_1", "type": "booking", "attributes": {}}}


def client_with(handler: Handler, **options: Any) -> tuple[KlearKarmaClient, list[float]]:
    slept: list[float] = []
    retry = options.pop("retry", RetryPolicy(sleep=slept.append))
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = KlearKarmaClient(
        api_key=options.pop("api_key", "kk_test_key"),
        base_url="http://api.test",
        retry=retry,
        http_client=http,
        **options,
    )
    return client, slept


def too_many(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"errors": [{"status": "429", "code": "RATE_LIMIT_EXCEEDED", "detail": "slow down"}]}
    return httpx.Response(429, json=body, headers=headers)


def test_a_429_is_retried_after_the_servers_retry_after() -> None:
    answers = [too_many("2"), too_many("1"), httpx.Response(200, json=BOOKING)]
    client, slept = client_with(lambda r: answers.pop(0))
    assert client.bookings.get("booking_1")["id"] == "booking_1"
    assert slept == [2.0, 1.0]


def test_retry_after_may_be_an_http_date() -> None:
    later = datetime.now(UTC) + timedelta(seconds=30)
    answers = [too_many(format_datetime(later, usegmt=True)), httpx.Response(200, json=BOOKING)]
    client, slept = client_with(lambda r: answers.pop(0))
    client.bookings.get("booking_1")
    assert len(slept) == 1 and 25 < slept[0] <= 30


def test_retries_are_bounded_and_end_in_a_rate_limit_error() -> None:
    client, slept = client_with(lambda r: too_many("1"))
    with pytest.raises(RateLimitError) as caught:
        client.bookings.get("booking_1")
    assert slept == [1.0, 1.0] and caught.value.retry_after == 1.0
    assert caught.value.code == "RATE_LIMIT_EXCEEDED"


def test_a_retry_after_longer_than_max_delay_is_not_waited_for() -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_delay=10, sleep=slept.append)
    client, _ = client_with(lambda r: too_many("3600"), retry=policy)
    with pytest.raises(RateLimitError) as caught:
        client.bookings.get("booking_1")
    assert slept == [] and caught.value.retry_after == 3600


def test_without_retry_after_a_429_backs_off_and_a_503_is_final() -> None:
    answers = [too_many(None), httpx.Response(200, json=BOOKING)]
    client, slept = client_with(lambda r: answers.pop(0))
    client.bookings.get("booking_1")
    assert slept == [0.5]
    calls: list[int] = []

    def unavailable(r: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"errors": [{"code": "SERVICE_UNAVAILABLE"}]})

    client, slept = client_with(unavailable)
    with pytest.raises(Exception, match="SERVICE_UNAVAILABLE"):
        client.bookings.get("booking_1")
    assert calls == [1] and slept == []


def test_keyword_arguments_become_a_json_api_document() -> None:
    seen: list[httpx.Request] = []

    def capture(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return httpx.Response(201, json=BOOKING)

    client, _ = client_with(capture)
    client.bookings.create(
        practitioner_id="prac_123",
        scheduled_at=datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        duration=60,
        session_type="video_call",
        notes=None,  # sent as null; OMIT (the default) is not sent
        location=OMIT,
        meta={"client_version": "1.0.0", "platform": "web"},
        request_id="req-abc",
    )
    r = seen[0]
    assert (r.method, r.url.path) == ("POST", "/v1/bookings")
    assert r.headers["authorization"] == "Bearer kk_test_key"
    assert r.headers["x-request-id"] == "req-abc"
    assert json.loads(r.content) == {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "prac_123",
                "scheduled_at": "2024-01-01T10:00:00Z",
                "duration": 60,
                "session_type": "video_call",
                "notes": None,
            },
        },
        "meta": {"client_version": "1.0.0", "platform": "web"},
    }


def test_path_query_and_date_parameters_are_encoded_for_the_api() -> None:
    seen: list[httpx.Request] = []

    def capture(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        meta = {"total_count": 0, "page": 1, "per_page": 20, "total_pages": 0}
        return httpx.Response(200, json={"data": [], "meta": meta})

    client, _ = client_with(capture)
    page = client.users.list_bookings("test user/1", from_=date(2024, 1, 1), status="confirmed")
    assert seen[0].url.raw_path.startswith(b"/v1/users/test%20user%2F1/bookings?")
    assert dict(seen[0].url.params) == {"from": "2024-01-01", "status": "confirmed"}
    assert list(page) == [] and not page.has_more and page.next_page() is None


def test_a_204_answer_returns_none() -> None:
    client, _ = client_with(lambda r: httpx.Response(204))
    assert client.webhooks.delete("wh_1") is None


def test_files_are_sent_as_multipart() -> None:
    seen: list[httpx.Request] = []

    def capture(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return httpx.Response(201, json={"data": {"id": "file_1", "type": "file"}})

    client, _ = client_with(capture)
    client.messaging.upload_conversation_file(
        "conv_1", file=("notes.txt", b"hello", "text/plain"), message="see attached"
    )
    body = seen[0].read()
    assert seen[0].headers["content-type"].startswith("multipart/form-data")
    assert b'filename="notes.txt"' in body and b"hello" in body and b"see attached" in body


def test_environments_and_base_urls_resolve_like_the_reference_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("KLEARKARMA_BASE_URL", "KLEARKARMA_ENVIRONMENT", "KLEARKARMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_urls(None, None) == (
        "https://api.klearkarma.com/v1",
        "https://auth.klearkarma.com",
    )
    assert resolve_urls("staging", None)[0] == "https://api-staging.klearkarma.com/v1"
    assert resolve_urls("development", None)[0] == "https://api-dev.klearkarma.com/v1"
    assert resolve_urls("sandbox", None)[0] == "https://api-sandbox.klearkarma.com/v1"
    assert resolve_urls("production", "http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000/v1",
        "http://127.0.0.1:8000",
    )
    assert resolve_urls(None, "http://h:1/v1/")[0] == "http://h:1/v1"
    monkeypatch.setenv("KLEARKARMA_ENVIRONMENT", "staging")
    assert resolve_urls(None, None)[0] == "https://api-staging.klearkarma.com/v1"
    with pytest.raises(ConfigurationError, match="unknown environment 'moon'"):
        resolve_urls("moon", None)
    with pytest.raises(ConfigurationError):
        resolve_urls(None, "api.klearkarma.com")
    monkeypatch.setenv("KLEARKARMA_API_KEY", "kk_from_env")
    with KlearKarmaClient() as c:
        assert c.config.credentials.authorization() == "Bearer kk_from_env"


def token_server(calls: list[tuple[str, str]], refused: set[str]) -> Handler:
    """An API that refuses the `refused` access tokens, and a token endpoint."""
    issued = iter(["access-2", "access-3"])

    def server(r: httpx.Request) -> httpx.Response:
        if r.url.path == "/oauth/token":
            form = dict(httpx.QueryParams(r.content.decode()))
            calls.append(("token", form["refresh_token"]))
            token = next(issued)
            body = {"access_token": token, "refresh_token": f"r-{token}", "expires_in": 3600}
            return httpx.Response(200, json=body)
        calls.append(("api", r.headers["authorization"]))
        if r.headers["authorization"].removeprefix("Bearer ") in refused:
            return httpx.Response(401, json={"errors": [{"code": "INVALID_TOKEN"}]})
        return httpx.Response(200, json=BOOKING)

    return server


def test_an_expiring_token_is_refreshed_before_the_call() -> None:
    calls: list[tuple[str, str]] = []
    tokens = TokenSet("access-1", "r-1", expires_at=0)
    client, _ = client_with(
        token_server(calls, set()), api_key=None, tokens=tokens, client_id="kk-sandbox"
    )
    client.bookings.get("booking_1")
    assert calls == [("token", "r-1"), ("api", "Bearer access-2")]
    assert client.tokens is not None and client.tokens.refresh_token == "r-access-2"
    assert not client.tokens.expired()


def test_a_refused_token_is_refreshed_once_and_the_call_retried() -> None:
    calls: list[tuple[str, str]] = []
    client, _ = client_with(
        token_server(calls, {"access-1"}),
        api_key=None,
        tokens=TokenSet("access-1", "r-1"),
        client_id="kk-sandbox",
    )
    client.bookings.get("booking_1")
    assert calls == [("api", "Bearer access-1"), ("token", "r-1"), ("api", "Bearer access-2")]

    calls.clear()
    client, _ = client_with(
        token_server(calls, {"access-1", "access-2"}),
        api_key=None,
        tokens=TokenSet("access-1", "r-1"),
        client_id="kk-sandbox",
    )
    with pytest.raises(AuthenticationError):
        client.bookings.get("booking_1")
    assert [c[0] for c in calls] == ["api", "token", "api"]


def test_pkce_matches_rfc_7636_and_verifiers_are_fresh() -> None:
    assert (
        challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    a, b = PKCE.generate(), PKCE.generate()
    assert a.verifier != b.verifier and len(a.verifier) == 64 and a.method == "S256"
    with pytest.raises(ValueError):
        PKCE.generate(20)


def test_webhook_signatures_are_hmac_sha256_hex() -> None:
    body = b'{"id":"evt_1","type":"booking.created"}'
    signature = sign(body, "secret")
    assert len(signature) == 64 and verify_signature(body, signature, "secret")
    assert verify_signature(body.decode(), signature.upper(), "secret")
    assert not verify_signature(body, None, "secret")
    assert not verify_signature(body, "zz", "secret")


@pytest.mark.anyio
async def test_the_async_client_retries_and_refreshes_once_for_concurrent_calls() -> None:
    import asyncio

    from klearkarma import AsyncKlearKarmaClient

    calls: list[str] = []
    answers = [too_many("3")]

    def server(r: httpx.Request) -> httpx.Response:
        if r.url.path == "/oauth/token":
            calls.append("token")
            body = {"access_token": "fresh", "refresh_token": "r-2", "expires_in": 3600}
            return httpx.Response(200, json=body)
        calls.append(r.headers["authorization"])
        return answers.pop() if answers else httpx.Response(200, json=BOOKING)

    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    async with AsyncKlearKarmaClient(
        base_url="http://api.test",
        tokens=TokenSet("stale", "r-1", expires_at=0),
        client_id="kk-sandbox",
        retry=RetryPolicy(async_sleep=fake_sleep),
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
    ) as client:
        await asyncio.gather(client.bookings.get("booking_1"), client.bookings.get("booking_2"))
    assert calls.count("token") == 1  # one refresh shared by both calls
    assert calls.count("Bearer fresh") == 3 and "Bearer stale" not in calls
    assert waited == [3.0]
