"""Resource ids with the spec's prefixes (`booking_...`, `pi_...`): random, URL-safe, sortable
enough to page by (ties on time are broken by id)."""

from __future__ import annotations

from server.randomhex import token_hex

PREFIXES = {
    "user": "user",
    "practitioner": "prac",
    "service": "service",
    "booking": "booking",
    "payment_intent": "pi",
    "refund": "re",
    "conversation": "conv",
    "message": "msg",
    "file": "file",
    "health_record_share": "share",
    "health_profile": "health",
    "user_preferences": "pref",
    "webhook": "wh",
    "webhook_delivery": "dlv",
    "event": "evt",
    "availability": "avail",
    "batch": "batch",
    "verification": "verif",
}


def new_id(kind: str) -> str:
    """A fresh id of a resource type, e.g. `new_id("booking")` -> `booking_3f9a...` (matches
    the spec's `^booking_[A-Za-z0-9]+$`). As unpredictable as `secrets.token_hex`, without
    a system call an id (server.randomhex)."""
    return f"{PREFIXES[kind]}_{token_hex(12)}"
