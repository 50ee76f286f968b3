"""Issue #15 item 17: a delivery carries Standard Webhooks headers, so a receiver can reject
a replayed delivery; the reference's `X-KlearKarma-Signature` stays exactly as printed.

Deliveries are verified with the `standardwebhooks` package, as a receiver would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import tempfile
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.testclient import TestClient

from server.factory import AppConfig, build
from server.webhooks import WebhookSettings, new_secret, standard_key
from tests.security.test_webhook_ssrf import TEST_KEY, book, settled
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
            made = tc.post("/v1/webhooks", json=body, headers=TEST_KEY)
            secret = made.json()["meta"]["secret"]
            book(tc)
            [delivery] = settled(tc, [made.json()["data"]["id"]])
    [(headers, payload)] = receiver.got
    assert delivery["status"] == "succeeded" and secret.startswith("whsec_")
    event = Webhook(secret).verify(payload, headers)  # the secret exactly as shown
    assert event["type"] == "booking.created" and headers["webhook-id"] == event["id"]
    assert headers["X-KlearKarma-Signature"] == reference_signature(payload, secret)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    # A delivery captured ten minutes ago and sent again now is refused; so is the same
    # delivery with a fresh timestamp (the signature covers it).
    captured = WebhookSettings().headers(
        secret, payload, "booking.created", "dlv_1", event["id"], int(time.time()) - 600
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, captured)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, {**captured, "webhook-timestamp": str(int(time.time()))})


@settings(max_examples=60, deadline=None)
@given(
    secret=st.one_of(
        st.text(min_size=16, max_size=64).filter(lambda s: "\x00" not in s),
        st.builds(lambda _: new_secret(), st.none()),
    ),
    payload=st.binary(max_size=512).map(lambda b: b'{"x":"' + b.hex().encode() + b'"}'),
)
def test_every_secret_maps_to_a_key_a_standard_verifier_accepts(
    secret: str, payload: bytes
) -> None:
    """`whsec_<base64>` secrets verify as they are; any other secret as base64 of its bytes
    (what the spec and README tell receivers)."""
    hook = WebhookSettings(signature_header="X-KlearKarma-Signature")
    headers = hook.headers(secret, payload, "booking.created", "dlv_1", "evt_1")
    as_is = standard_key(secret) != secret.encode()
    given_to_verifier = secret if as_is else base64.b64encode(secret.encode()).decode()
    Webhook(given_to_verifier).verify(payload, headers, json_parse=False)
    assert headers["X-KlearKarma-Signature"] == reference_signature(payload, secret)
