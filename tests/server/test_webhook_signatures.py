"""Standard Webhooks signatures (server.webhooks): how a webhook secret maps to the key a
Standard Webhooks verifier (the `standardwebhooks` package) takes, for any secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from server.webhooks import WebhookSettings, new_secret, standard_key


def reference_signature(payload: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    secret=st.one_of(
        st.text(min_size=16, max_size=64),
        st.builds(lambda _: new_secret(), st.none()),
        st.binary(min_size=8, max_size=40).map(lambda b: "whsec_" + base64.b64encode(b).decode()),
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
