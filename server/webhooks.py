"""Outgoing webhooks, spec-agnostic: the signatures every delivery carries, the settings that
say where deliveries may go, how often they are retried and how long one may take, and one
attempt's outcome.

Shared by the mock engine's in-memory dispatcher and the handlers' durable delivery worker,
so a receiver verifies both the same way. Every delivery carries two signatures:

- the spec's own header (`x-mock-webhook` `headers.signature`, e.g. `X-KlearKarma-Signature`):
  `hex(HMAC-SHA256(secret, raw body))`, keyed with the secret's UTF-8 bytes;
- Standard Webhooks (standardwebhooks.com): `webhook-id` (the event id, the same for every
  attempt and redelivery), `webhook-timestamp` (Unix seconds of the attempt) and
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. Its key: a secret of
  the form `whsec_<base64>` (what the server generates) is that base64's bytes, so a
  Standard Webhooks verifier takes the secret as it is; any other secret is its UTF-8 bytes,
  so a verifier takes `base64(secret)`. See `standard_key`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from server.webhook_targets import Refused, TargetPolicy, Unreachable, networks, post, redact

log = logging.getLogger("kk.webhooks")
# Webhook targets already reported as refused (reported once each, then at debug level).
_REFUSED: set[tuple[str, str]] = set()

if TYPE_CHECKING:  # httpx (~10 MB with its TLS stack) is imported when a webhook is sent
    import httpx

USER_AGENT = "kk-sandbox-webhooks"
# Seconds before retry n (after failed attempt n): production, and the sandbox's compressed
# schedule (every retry within seconds; `--webhook-backoff production` for the real one).
PRODUCTION_SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 43200.0)
SANDBOX_RETRY_BASE = 1.0
ERROR_CHARS = 300


def sign(secret: str, payload: bytes) -> str:
    """The hex HMAC-SHA256 of `payload` keyed by `secret` (the reference's signature)."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks signing key of a webhook secret (see the module docstring)."""
    if secret.startswith("whsec_"):
        try:
            body = secret.removeprefix("whsec_")
            return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def new_secret() -> str:
    """A generated secret: `whsec_` + base64 of 24 random bytes (a Standard Webhooks secret)."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def standard_signature(secret: str, msg_id: str, timestamp: int, payload: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Outcome:
    """One attempt: `succeeded` (2xx), `failed` (retried while attempts remain) or `refused`
    (the target is not allowed: never connected to, never retried, no response status)."""

    status: str
    started_at: datetime
    duration_ms: int = 0
    response_status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


@functools.cache
def _tls() -> ssl.SSLContext:
    """The deliveries' TLS settings (httpx's defaults without the environment's), made once:
    an SSL context loads the CA bundle, about 30 ms of CPU, and each delivery loop's client
    would otherwise make its own."""
    import httpx

    return httpx.create_ssl_context(trust_env=False)


def _hosts(raw: Any) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in str(raw or "").split(",") if h.strip())


@dataclass(frozen=True)
class WebhookSettings:
    signature_header: str = "X-Webhook-Signature"
    event_header: str = "X-Webhook-Event"
    delivery_header: str = "X-Webhook-Delivery"
    attempts: int = 5
    # "sandbox": retries within seconds (retry_base, doubling); "production": `schedule`.
    backoff: str = "sandbox"
    retry_base: float = SANDBOX_RETRY_BASE
    schedule: tuple[float, ...] = PRODUCTION_SCHEDULE
    timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None
    # Hosts deliveries may go to besides local receivers; "*" allows any public host.
    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[Any, ...] = ()
    # The sandbox's allowance: receivers on this machine (off in `kk serve`).
    loopback: bool = True
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @property
    def policy(self) -> TargetPolicy | None:
        """What targets are checked against; None with an in-process transport (no network)."""
        if self.transport is not None:
            return None
        return TargetPolicy(self.allowed_hosts, self.allowed_networks, self.loopback)

    def delay(self, attempt: int) -> float:
        """Seconds before the attempt after failed attempt `attempt` (1-based)."""
        if self.backoff == "production":
            base = self.schedule[min(attempt, len(self.schedule)) - 1]
            return base * (1 + self.rng.random() / 10)  # jitter: up to 10% later
        return float(self.retry_base * 2.0 ** (attempt - 1))

    def client(self) -> httpx.AsyncClient:
        """The HTTP client of deliveries: no redirects followed, no proxies from the
        environment (the checked address is the one connected to)."""
        import httpx

        return httpx.AsyncClient(
            transport=self.transport,
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,
            verify=_tls(),
        )

    def refused(self, webhook_id: str, url: str, why: str) -> None:
        """Log that a delivery to `url` was not sent: a warning the first time per webhook and
        URL, debug after that (a contract run would repeat it for every event)."""
        key = (webhook_id, url)
        level = logging.DEBUG if key in _REFUSED else logging.WARNING
        _REFUSED.add(key)
        log.log(level, "webhook %s: %s not delivered: %s", webhook_id, redact(url), why)

    def headers(
        self,
        secret: str,
        payload: bytes,
        event_type: str,
        delivery_id: str,
        event_id: str,
        timestamp: int | None = None,
    ) -> dict[str, str]:
        """The headers of one delivery attempt."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            "Content-Type": "application/json",
            self.signature_header: sign(secret, payload),
            self.event_header: event_type,
            self.delivery_header: delivery_id,
            "webhook-id": event_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": standard_signature(secret, event_id, stamp, payload),
            "User-Agent": USER_AGENT,
        }

    async def send(
        self,
        client: httpx.AsyncClient,
        webhook_id: str,
        url: str,
        payload: bytes,
        headers: dict[str, str],
        method: str = "POST",
    ) -> Outcome:
        """Make one attempt; never raises for the target's sake."""
        import httpx

        started, clock = datetime.now(UTC), time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - clock) * 1000)

        try:
            response = await post(client, self.policy, url, payload, headers, method)
        except Refused as e:
            self.refused(webhook_id, url, str(e))
            return Outcome("refused", started, 0, None, f"refused: {e}")
        except Unreachable as e:
            return Outcome("failed", started, took(), None, str(e))
        except httpx.TimeoutException:
            return Outcome("failed", started, took(), None, f"no answer within {self.timeout} s")
        except (httpx.HTTPError, OSError) as e:
            log.info("webhook %s: %s: %s", webhook_id, redact(url), e)
            error = redact(f"{type(e).__name__}: {e}")[:ERROR_CHARS]
            return Outcome("failed", started, took(), None, error)
        status = response.status_code
        if 200 <= status < 300:
            return Outcome("succeeded", started, took(), status)
        return Outcome("failed", started, took(), status, f"the endpoint answered {status}")

    @classmethod
    def from_options(cls, config: Mapping[str, Any], options: Mapping[str, Any]) -> WebhookSettings:
        """`config`: the spec's `x-mock-webhook` object (headers, attempts, schedule);
        `options`: the app's (`webhook_attempts`, `webhook_backoff` sandbox|production,
        `webhook_retry_base`, `webhook_timeout`, `webhook_transport`, `webhook_loopback`,
        `webhook_hosts`, else KK_WEBHOOK_HOSTS; `webhook_networks`, else KK_WEBHOOK_NETWORKS)."""
        headers = config.get("headers") or {}
        schedule = config.get("schedule") or PRODUCTION_SCHEDULE
        env = os.environ
        return cls(
            signature_header=str(headers.get("signature", cls.signature_header)),
            event_header=str(headers.get("event", cls.event_header)),
            delivery_header=str(headers.get("delivery", cls.delivery_header)),
            attempts=int(options.get("webhook_attempts", config.get("attempts", cls.attempts))),
            backoff=str(options.get("webhook_backoff") or "sandbox"),
            retry_base=float(options.get("webhook_retry_base", SANDBOX_RETRY_BASE)),
            schedule=tuple(float(s) for s in schedule),
            timeout=float(options.get("webhook_timeout", cls.timeout)),
            transport=options.get("webhook_transport"),
            allowed_hosts=_hosts(options.get("webhook_hosts", env.get("KK_WEBHOOK_HOSTS", ""))),
            allowed_networks=networks(
                _hosts(options.get("webhook_networks", env.get("KK_WEBHOOK_NETWORKS", "")))
            ),
            loopback=bool(options.get("webhook_loopback", True)),
        )
