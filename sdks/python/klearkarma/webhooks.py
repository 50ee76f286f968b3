"""Verify and parse webhook deliveries.

Each delivery carries `hex(HMAC-SHA256(secret, raw body))` in the signature header
(`X-KlearKarma-Signature`). Verify it over the bytes received, before parsing:

    event = construct_event(request.body, request.headers[SIGNATURE_HEADER], secret)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, cast

from klearkarma.errors import WebhookSignatureError
from klearkarma.generated.models import WebhookEvent
from klearkarma.generated.spec import SIGNATURE_HEADER, WEBHOOK_EVENTS

__all__ = [
    "SIGNATURE_HEADER",
    "WEBHOOK_EVENTS",
    "construct_event",
    "sign",
    "verify_signature",
]


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(payload: str | bytes, secret: str | bytes) -> str:
    """The signature the API sends with `payload` (lower-case hex)."""
    return hmac.new(_bytes(secret), _bytes(payload), hashlib.sha256).hexdigest()


def verify_signature(payload: str | bytes, signature: str | None, secret: str | bytes) -> bool:
    """True when `signature` is the HMAC-SHA256 of `payload`; compared in constant time."""
    if not signature:
        return False
    expected = sign(payload, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode())


def construct_event(
    payload: str | bytes, signature: str | None, secret: str | bytes
) -> WebhookEvent:
    """The parsed event of a delivery whose signature is valid; else WebhookSignatureError."""
    if not verify_signature(payload, signature, secret):
        raise WebhookSignatureError("the webhook signature does not match its body")
    try:
        event: Any = json.loads(payload)
    except ValueError as e:
        raise WebhookSignatureError("a signed webhook body that is not JSON") from e
    if not isinstance(event, dict) or "type" not in event:
        raise WebhookSignatureError("a signed webhook body that is not an event")
    return cast(WebhookEvent, event)
