"""Issue #15 item 17: a delivery carries Standard Webhooks headers, so a receiver can reject
a replayed delivery; the reference's `X-KlearKarma-Signature` stays exactly as printed.

Deliveries are verified with the `standardwebhooks` package, as a receiver would."""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import build
from tests.security.test_webhook_ssrf import book, operator, settled
from tests.security.webhook_receiver import LocalReceiver


def reference_signature(payload: bytes, secret: str) -> str:
    """The reference's verifyWebhook, in Python."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def test_a_generated_secret_verifies_as_it_is_and_a_replay_is_rejected() -> None:
    with LocalReceiver() as receiver:
        built = build(
            AppConfig(
                "sandbox",
                handlers=False,
                data_dir=tempfile.mkdtemp(prefix="kk-replay-"),
                rate_limits="off",
            )
        )
        ops = operator(built)
        with TestClient(built.app) as tc:
            body = {
                "data": {
                    "type": "webhook",
                    "attributes": {
                        "url": f"http://127.0.0.1:{receiver.port}/hook",
                        "events": ["booking.created"],
                    },
                }
            }
            made = tc.post("/v1/webhooks", json=body, headers=ops)
            secret = made.json()["meta"]["secret"]
            book(tc)
            [delivery] = settled(tc, ops, [made.json()["data"]["id"]])
    [(headers, payload)] = receiver.got
    assert delivery["status"] == "succeeded" and secret.startswith("whsec_")
    event = Webhook(secret).verify(payload, headers)  # the secret exactly as shown
    assert event["type"] == "booking.created" and headers["webhook-id"] == event["id"]
    assert headers["X-KlearKarma-Signature"] == reference_signature(payload, secret)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    # A delivery captured ten minutes ago and sent again now is refused; so is the same
    # delivery with a fresh timestamp (the signature covers it).
    then = datetime.now(UTC) - timedelta(minutes=10)
    captured = {
        **headers,
        "webhook-timestamp": str(int(then.timestamp())),
        "webhook-signature": Webhook(secret).sign(event["id"], then, payload.decode()),
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, captured)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, {**captured, "webhook-timestamp": str(int(time.time()))})
