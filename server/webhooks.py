"""Outgoing webhooks, spec-agnostic: the signature every delivery carries and the settings
that say where deliveries may go, how often they are retried and how long one may take.

Shared by the mock engine's in-memory dispatcher and the handlers' durable delivery worker,
so a receiver verifies both the same way: the signature header is
`hex(HMAC-SHA256(secret, raw body))`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

log = logging.getLogger("kk.webhooks")
# Webhook targets already reported as refused (reported once each, then at debug level).
_REFUSED: set[tuple[str, str]] = set()

if TYPE_CHECKING:  # httpx (~10 MB with its TLS stack) is imported when a webhook is sent
    import httpx

USER_AGENT = "kk-sandbox-webhooks"


def sign(secret: str, payload: bytes) -> str:
    """The hex HMAC-SHA256 of `payload` keyed by `secret`."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookSettings:
    signature_header: str = "X-Webhook-Signature"
    event_header: str = "X-Webhook-Event"
    delivery_header: str = "X-Webhook-Delivery"
    attempts: int = 5
    retry_base: float = 2.0
    retry_max: float = 120.0
    timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None
    # Hosts deliveries may go to besides loopback ones; "*" allows any. A sandbox delivers
    # only to this machine unless told otherwise (KK_WEBHOOK_HOSTS=hook.example.org,...).
    allowed_hosts: tuple[str, ...] = ()

    def allows(self, url: str) -> bool:
        if self.transport is not None:  # an in-process receiver: no network is involved
            return True
        host = (urlsplit(url).hostname or "").lower()
        if "*" in self.allowed_hosts or host in self.allowed_hosts or host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def refused(self, webhook_id: str, url: str) -> None:
        """Log that a delivery to `url` was not sent: a warning the first time per webhook and
        URL, debug after that (a contract run would repeat it for every event)."""
        key = (webhook_id, url)
        level = logging.DEBUG if key in _REFUSED else logging.WARNING
        _REFUSED.add(key)
        log.log(
            level,
            "webhook %s: %s is not a loopback address; not delivered "
            "(allow it with KK_WEBHOOK_HOSTS)",
            webhook_id,
            url,
        )

    def headers(
        self, secret: str, payload: bytes, event_type: str, delivery_id: str
    ) -> dict[str, str]:
        """The headers of one delivery attempt."""
        return {
            "Content-Type": "application/json",
            self.signature_header: sign(secret, payload),
            self.event_header: event_type,
            self.delivery_header: delivery_id,
            "User-Agent": USER_AGENT,
        }

    @classmethod
    def from_options(cls, config: Mapping[str, Any], options: Mapping[str, Any]) -> WebhookSettings:
        """`config`: the spec's `x-mock-webhook` object (headers, attempts); `options`: the
        app's (`webhook_attempts`, `webhook_retry_base`, `webhook_timeout`,
        `webhook_transport`, `webhook_hosts`, else KK_WEBHOOK_HOSTS)."""
        headers = config.get("headers") or {}
        return cls(
            signature_header=str(headers.get("signature", cls.signature_header)),
            event_header=str(headers.get("event", cls.event_header)),
            delivery_header=str(headers.get("delivery", cls.delivery_header)),
            attempts=int(options.get("webhook_attempts", config.get("attempts", cls.attempts))),
            retry_base=float(options.get("webhook_retry_base", cls.retry_base)),
            timeout=float(options.get("webhook_timeout", cls.timeout)),
            transport=options.get("webhook_transport"),
            allowed_hosts=tuple(
                h.strip().lower()
                for h in str(
                    options.get("webhook_hosts", os.environ.get("KK_WEBHOOK_HOSTS", ""))
                ).split(",")
                if h.strip()
            ),
        )
