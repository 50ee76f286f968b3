"""Bounds of the WebSocket endpoints (/ws and graphql-transport-ws), shared by both.

A socket must authenticate within `auth_timeout` seconds; until it has, its frames may be
at most `max_frame_before_auth` bytes (uvicorn's `--ws-max-size` bounds every frame before
the app sees it) and one IP may hold at most `unauthenticated_per_ip` such sockets. Every
frame, pings and failed auth frames included, takes a token from the connection's bucket
(`frames_per_second`, `frame_burst`). An authenticated session is re-checked on every
inbound frame and every delivered event: an expired token closes it with 4401, a revoked
one (or an API key revoked, a signing key removed) with 4403.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from kkcore.errors import ApiError, StartupError
from kkcore.types import Scope
from server.identity import Authenticator, Identity

CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_TOO_MANY = 4429
ENV_PREFIX = "KK_WS_"

Closing = tuple[int, str]  # (close code, reason): why a session must end
# The `error` frame sent before closing (the REST error codes the AsyncAPI document lists).
ERROR_CODES = {
    CLOSE_TOO_BIG: "VALIDATION_ERROR",
    CLOSE_UNAUTHENTICATED: "INVALID_TOKEN",
    CLOSE_FORBIDDEN: "INVALID_TOKEN",
    CLOSE_AUTH_TIMEOUT: "AUTHENTICATION_REQUIRED",
    CLOSE_TOO_MANY: "RATE_LIMIT_EXCEEDED",
}


def error_code(closing: Closing) -> str:
    return ERROR_CODES.get(closing[0], "VALIDATION_ERROR")


@dataclass(frozen=True)
class SocketLimits:
    """The defaults are documented in SECURITY.md; `KK_WS_<FIELD>` (upper case) overrides."""

    auth_timeout: float = 5.0
    max_frame_before_auth: int = 16 * 1024
    max_frame: int = 64 * 1024
    frames_per_second: float = 20.0
    frame_burst: int = 40
    max_auth_failures: int = 5
    unauthenticated_per_ip: int = 20

    @classmethod
    def from_env(
        cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> SocketLimits:
        """The defaults, then `KK_WS_*` variables, then `overrides` (tests, AppConfig)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw.strip():
                values[f.name] = _number(f.name, raw, float if f.type == "float" else int)
        return replace(cls(), **values, **dict(overrides or {}))

    def scaled_rates(self, factor: int) -> SocketLimits:
        """The frame rate times `factor`, like the rate limits (`--rate-limits relaxed` is
        x100); 0 (`--rate-limits off`) turns the frame throttle off."""
        return replace(
            self,
            frames_per_second=self.frames_per_second * factor,
            frame_burst=self.frame_burst * factor,
        )


def _number(name: str, raw: str, kind: type[float] | type[int]) -> float | int:
    try:
        value = kind(raw)
    except ValueError as e:
        raise StartupError(f"{ENV_PREFIX}{name.upper()} must be a number, not {raw!r}") from e
    if value < 0:
        raise StartupError(f"{ENV_PREFIX}{name.upper()} must not be negative")
    return value


class FrameBucket:
    """A token bucket per connection: `rate` frames a second on average, `burst` at once."""

    __slots__ = ("rate", "burst", "tokens", "at")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(max(1, burst))
        self.tokens, self.at = self.burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def client_host(scope: Scope) -> str:
    """The peer's address (uvicorn's ProxyHeadersMiddleware has applied trusted proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class SocketGuard:
    """One per app: the limits, the unauthenticated sockets per IP, the session re-check."""

    def __init__(self, limits: SocketLimits, authenticator: Authenticator | None) -> None:
        self.limits = limits
        self.authenticator = authenticator
        self.unauthenticated: dict[str, int] = {}

    def bucket(self) -> FrameBucket | None:
        """A new connection's frame budget; None when frames are not throttled."""
        if self.limits.frames_per_second <= 0:
            return None
        return FrameBucket(self.limits.frames_per_second, self.limits.frame_burst)

    def admit(self, host: str) -> bool:
        """Count a new unauthenticated socket of `host`; False when it has too many."""
        held = self.unauthenticated.get(host, 0)
        if held >= self.limits.unauthenticated_per_ip:
            return False
        self.unauthenticated[host] = held + 1
        return True

    def release(self, host: str) -> None:
        """The socket authenticated or closed: it no longer counts against `host`."""
        held = self.unauthenticated.get(host, 0) - 1
        if held > 0:
            self.unauthenticated[host] = held
        else:
            self.unauthenticated.pop(host, None)

    def frame_too_big(self, size: int, authenticated: bool) -> Closing | None:
        cap = self.limits.max_frame if authenticated else self.limits.max_frame_before_auth
        if size <= cap:
            return None
        when = "" if authenticated else " before authentication"
        return CLOSE_TOO_BIG, f"Frames may be at most {cap} bytes{when}"

    def too_many_frames(self) -> Closing:
        rate, burst = self.limits.frames_per_second, self.limits.frame_burst
        return CLOSE_TOO_MANY, f"More than {rate:g} frames a second (burst {burst})"

    async def inbound(
        self, size: int, bucket: FrameBucket | None, token: str | None, identity: Identity | None
    ) -> Closing | None:
        """Why an inbound frame of `size` bytes ends its session (too big, too many, the
        token expired or revoked), or None to handle it."""
        too_big = self.frame_too_big(size, identity is not None)
        if too_big is not None:
            return too_big
        if bucket is not None and not bucket.take():
            return self.too_many_frames()
        return await self.recheck(token, identity)

    async def recheck(self, token: str | None, identity: Identity | None) -> Closing | None:
        """Why an authenticated session must end now, or None while its token is good."""
        if identity is None or token is None or self.authenticator is None:
            return None
        exp = identity.claims.get("exp")
        if isinstance(exp, int | float) and exp <= time.time():
            return CLOSE_UNAUTHENTICATED, "The token has expired; reconnect with a new one"
        try:
            await self.authenticator.authenticate(token)
        except ApiError as e:
            return CLOSE_FORBIDDEN, f"The session is no longer valid: {e}"
        return None
