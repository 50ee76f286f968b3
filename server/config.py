"""Runtime configuration: what an app is built from, decided once at startup."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kkcore.types import ApiTable, Mode, Scope

if TYPE_CHECKING:
    from server.identity import Authenticator, Identity
    from server.ports import OwnershipSource


class RateLimiter(Protocol):
    """Counts a request; returns the X-RateLimit-* headers or raises RateLimitExceeded.

    `rate_class` is the operation's `x-rate-limit` class, or None for the account budget
    that every request spends (see server.auth.limits).
    """

    async def hit(
        self, scope: Scope, identity: Identity | None, rate_class: str | None
    ) -> list[tuple[bytes, bytes]]: ...


@dataclass
class Runtime:
    """Everything the pipeline factories may consult when compiling an operation."""

    table: ApiTable
    mode: Mode = "strict"
    validate_responses: bool = False
    authenticator: Authenticator | None = None
    rate_limiter: RateLimiter | None = None
    ownership: OwnershipSource | None = None
    max_body_size: int | None = None
    spec_files: dict[str, Path] = field(default_factory=dict)
    cors_origins: list[str] = field(default_factory=list)
    cors_origin_regex: str | None = None
    access_log: bool = True
    # Prometheus /metrics and request metrics (server.metrics); OpenTelemetry traces
    # (server.tracing) when an OTLP endpoint is configured or a tracer provider is given.
    metrics: bool = False
    tracing: bool = False
    # Swagger UI at /docs (off by default in `kk serve`); proxies whose X-Forwarded-* count.
    docs: bool = True
    trusted_proxies: list[str] = field(default_factory=list)
    # Without an authenticator: answer a request without the credentials its operation
    # declares with the operation's 401/403, as Prism does (`kk mock`; server.presence).
    check_credentials: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
