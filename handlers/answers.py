"""Which of the handlers' read answers server.answer_cache may keep, and how a kept one is
given the new request's id and time.

Kept until the database's next committed write (any worker: handlers.storage.generation).
Answers that read the clock say how long they hold (`valid_until`: the next free slot, the
local day of a default date range) or that they cannot be kept (`not_cacheable`: share
expiry). Not listed, so never kept: health record shares (active/expired by the clock), the
OAuth endpoints (their data is the identity store's, not this database's) and every write.
`kk sandbox`/`kk serve` turn it off with `KK_ANSWER_CACHE=off` (or the `answer_cache` option).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso
from server.answer_cache import AnswerSource

KEPT = frozenset(
    {
        "searchPractitioners",
        "getPractitioner",
        "getPractitionerAvailability",
        "getUser",
        "getUserPreferences",
        "listUserBookings",
        "listUserPayments",
        "listUserConversations",
        "getBooking",
        "getPaymentIntent",
        "getHealthProfile",
        "listConversationMessages",
        "listWebhooks",
        "getWebhook",
        "listWebhookDeliveries",
    }
)


def restamp(body: Any, request_id: str, now: datetime) -> Any:
    """The kept document with this request's `meta.request_id` and `meta.timestamp`."""
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return body
    fresh = dict(meta)
    if "request_id" in fresh:
        fresh["request_id"] = request_id
    if "timestamp" in fresh:
        fresh["timestamp"] = iso(now)
    return {**body, "meta": fresh}


def wanted(options: Any) -> bool:
    raw = options.get("answer_cache", os.environ.get("KK_ANSWER_CACHE", "on"))
    return str(raw).strip().lower() not in ("0", "off", "false", "no")


def answer_source(domain: Domain) -> AnswerSource:
    return AnswerSource(
        generation=lambda: domain.db.generation.current(),
        clock=lambda: domain.clock(),  # (tests move a domain's clock)
        operations=KEPT,
        restamp=restamp,
        enabled=wanted(domain.options),
    )
