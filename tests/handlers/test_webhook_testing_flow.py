"""The reference's "Webhook Testing" flow, end to end: a real `kk sandbox` (uvicorn, handlers,
SQLite) and a real HTTP receiver on this machine. The test API key registers the webhook
as the reference's curl does (201), a booking made with it is delivered signed, and a
failed delivery is retried within seconds, every attempt in the log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from tests.conftest import free_port
from tests.security.webhook_receiver import LocalReceiver

TEST_KEY = {"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"}
SECRET = "your_webhook_secret_for_testing"


def until(check: Callable[[], Any], what: str, limit: float = 60.0) -> Any:
    """Poll until `check` answers something truthy (a deadline only against hangs)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def sandbox_url(http: httpx.Client) -> Iterator[str]:
    """`kk sandbox` as a user starts it, on a free port and a fresh data dir."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KK_WEBHOOK_HOSTS")}
    kk = Path(sys.executable).with_name("kk")
    command = [
        str(kk),
        "sandbox",
        "--port",
        str(port),
        "--rate-limits",
        "off",
        "--data-dir",
        tempfile.mkdtemp(prefix="kk-hookflow-"),
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return http.get(f"{base}/healthz").status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None and pytest.fail("kk sandbox exited")

    try:
        until(up, "kk sandbox to listen")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_reference_webhook_testing_curl_gets_201_and_a_signed_delivery_retried_in_seconds(
    sandbox_url: str, http: httpx.Client
) -> None:
    with LocalReceiver(answers=[503]) as receiver:
        # curl -X POST .../v1/webhooks -H "Authorization: Bearer <test api key>" -d '{...}'
        made = http.post(
            f"{sandbox_url}/v1/webhooks",
            headers=TEST_KEY,
            json={
                "data": {
                    "type": "webhook",
                    "attributes": {
                        "url": f"http://localhost:{receiver.port}/webhooks",
                        "events": ["booking.created"],
                        "secret": SECRET,
                    },
                }
            },
        )
        assert made.status_code == 201, made.text
        booked = http.post(
            f"{sandbox_url}/v1/bookings",
            headers=TEST_KEY,
            json={
                "data": {
                    "type": "booking",
                    "attributes": {
                        "practitioner_id": "test_prac_123",
                        "scheduled_at": "2024-01-02T14:00:00Z",
                        "duration": 60,
                        "session_type": "video_call",
                    },
                }
            },
        )
        assert booked.status_code == 201, booked.text
        log_url = f"{sandbox_url}/v1/webhooks/{made.json()['data']['id']}/deliveries"

        def delivered() -> Any:
            log = http.get(log_url, headers=TEST_KEY).json()["data"]
            return log if log and log[0]["attributes"]["status"] == "succeeded" else None

        [delivery] = until(delivered, "the retried delivery")
    (first_headers, first_body), (headers, body) = receiver.got
    # signed as the reference's verifyWebhook checks it, and the Standard Webhooks way
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-KlearKarma-Signature"] == expected and first_body == body
    event = Webhook(base64.b64encode(SECRET.encode()).decode()).verify(body, headers)
    assert event["data"]["id"] == booked.json()["data"]["id"] == orjson.loads(body)["data"]["id"]
    assert headers["X-KlearKarma-Delivery"] == first_headers["X-KlearKarma-Delivery"]
    # the failed attempt was retried within seconds, and the log shows both
    attempts = delivery["attributes"]["attempts"]
    assert [(a["status"], a["response_status"]) for a in attempts] == [
        ("failed", 503),
        ("succeeded", 204),
    ]
    first, second = (
        datetime.fromisoformat(a["started_at"].replace("Z", "+00:00")) for a in attempts
    )
    assert 0 < (second - first).total_seconds() < 5
