"""Rate limits on the `limits` library: fixed windows in memory, or in Redis with REDIS_URL.

Two budgets count every request:

- the **account** budget, spent by every HTTP request (REST, GraphQL, 404s...): the caller's
  tier (`x-rate-limit-tiers`: an hourly limit and a burst, the most requests in one minute),
  per user or API key when authenticated, per client IP with the stricter `anonymous` tier
  otherwise (a bad token counts as anonymous). `RateLimitMiddleware` spends it before
  routing and adds its X-RateLimit-* headers to every answer that has none;
- the operation's **class** (`x-rate-limit`, limits in `x-rate-limit-classes`), spent by the
  pipeline's `rate_limit` step; the class named `default` is the account budget itself.
  Its headers win, since they are what this endpoint will run into.

Fixed windows (the reference's "limits reset every hour"): X-RateLimit-Reset is the end of
the current window. A 429 carries Retry-After and the headers of the exhausted limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.storage import Storage, storage_from_string

from kkcore.errors import Problem, RateLimitExceeded, StartupError
from kkcore.types import ApiTable, Receive, Scope, Send
from server.config import RateLimiter
from server.documented import ScopedAnswer
from server.identity import Authenticator, Identity, identify
from server.problems import error_body
from server.responses import Reply, send_reply

ACCOUNT = "default"
PER = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
EXEMPT = ("/healthz", "/metrics", "/docs", "/openapi.", "/__sandbox/")
ASGIApp = Any


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` requests per `seconds`."""

    limit: int
    seconds: int

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.limit, self.seconds, namespace="kk")

    def describe(self) -> str:
        unit = next((u for u, s in PER.items() if s == self.seconds), None)
        return f"{self.limit} requests per {unit or f'{self.seconds} seconds'}"


@dataclass(frozen=True, slots=True)
class Tier:
    hourly: Window
    burst: Window | None = None


def _tier(name: str, raw: Mapping[str, Any], burst_window: int) -> Tier:
    try:
        window = int(raw.get("window", 3600))
        burst = raw.get("burst")
        return Tier(
            Window(int(raw["per_hour"]), window),
            Window(int(burst), int(raw.get("burst_window", burst_window))) if burst else None,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise StartupError(f"rate-limit tier {name!r}: needs per_hour (and burst): {e}") from e


@dataclass
class LimitSettings:
    """Tiers, anonymous tier and classes; `from_table` reads them from the spec."""

    tiers: dict[str, Tier]
    anonymous: Tier
    classes: dict[str, Window] = field(default_factory=dict)
    default_tier: str = "free"
    storage: str = "memory://"
    trust_forwarded: bool = False

    @classmethod
    def from_table(
        cls, table: ApiTable, overrides: Mapping[str, Any] | None = None
    ) -> LimitSettings:
        """Tiers from `x-rate-limit-tiers` (a `custom` tier, like Enterprise, takes the
        numbers of `overrides["tiers"][name]`, else those of the largest tier), classes from
        `x-rate-limit-classes`; `overrides` may replace any of them (tests use tiny windows)."""
        o = dict(overrides or {})
        burst_window = int(o.get("burst_window", 60))
        raw_tiers: dict[str, Any] = {**table.get("rate_limit_tiers", {}), **o.get("tiers", {})}
        raw_tiers.setdefault("free", {"per_hour": 1000, "burst": 100})
        anonymous_raw = raw_tiers.pop("anonymous", {"per_hour": 100, "burst": 20})
        tiers: dict[str, Tier] = {}
        for name, raw in raw_tiers.items():
            if isinstance(raw, Mapping) and "per_hour" in raw:
                tiers[name] = _tier(name, raw, burst_window)
        largest = max(tiers.values(), key=lambda t: t.hourly.limit)
        for name in raw_tiers:
            tiers.setdefault(name, largest)
        # The engine's own: the sandbox's control endpoints (server.sandboxguard).
        # 300/min: an end-to-end suite resets before each test; a reset reseeds the whole database.
        classes: dict[str, Window] = {"sandbox_reset": Window(300, 60)}
        raw_classes = {**table.get("rate_limit_classes", {}), **o.get("classes", {})}
        for name, raw in raw_classes.items():
            if name == ACCOUNT:
                continue
            seconds = raw.get("window") or PER.get(str(raw.get("per")))
            if not seconds:
                raise StartupError(f"rate-limit class {name!r}: per must be one of {list(PER)}")
            classes[name] = Window(int(raw["limit"]), int(seconds))
        return cls(
            tiers=tiers,
            anonymous=_tier("anonymous", anonymous_raw, burst_window),
            classes=classes,
            storage=str(o.get("storage", "memory://")),
            trust_forwarded=bool(o.get("trust_forwarded", False)),
        )

    def scaled(self, factor: int) -> LimitSettings:
        """Every limit multiplied by `factor` (the sandbox's `--rate-limits relaxed`)."""

        def w(window: Window | None) -> Window | None:
            return None if window is None else Window(window.limit * factor, window.seconds)

        def t(tier: Tier) -> Tier:
            return Tier(Window(tier.hourly.limit * factor, tier.hourly.seconds), w(tier.burst))

        return replace(
            self,
            tiers={k: t(v) for k, v in self.tiers.items()},
            anonymous=t(self.anonymous),
            classes={k: Window(v.limit * factor, v.seconds) for k, v in self.classes.items()},
        )


def client_ip(scope: Scope, trust_forwarded: bool) -> str:
    if trust_forwarded:
        for k, v in scope["headers"]:
            if k == b"x-forwarded-for":
                return str(v.decode("latin-1")).split(",")[0].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimits:
    """The RateLimiter of server.config: `hit(scope, identity, class)`; class None is the
    account budget."""

    def __init__(self, settings: LimitSettings) -> None:
        self.settings = settings
        options: dict[str, Any] = {}
        self._pool: Any = None
        if settings.storage.startswith("async+redis"):
            from redis.asyncio import ConnectionPool

            # Our own pool (redis-py), so that shutdown can close its connections.
            self._pool = ConnectionPool.from_url(settings.storage.removeprefix("async+"))
            options.update(implementation="redispy", connection_pool=self._pool)
        self.storage: Storage | AsyncStorage = storage_from_string(settings.storage, **options)
        storage = self.storage
        self._async = storage if isinstance(storage, AsyncStorage) else None
        self._sync = None if isinstance(storage, AsyncStorage) else storage

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    def _caller(self, scope: Scope, identity: Identity | None) -> tuple[str, Tier]:
        identity = identity or scope.get("kk.identity")
        if identity is None:
            return "ip:" + client_ip(scope, self.settings.trust_forwarded), self.settings.anonymous
        tiers = self.settings.tiers
        tier = tiers.get(identity.tier) or tiers[self.settings.default_tier]
        if identity.kind == "api_key":
            return f"key:{identity.claims.get('key_id', identity.subject)}", tier
        return f"user:{identity.subject}", tier

    async def _incr(self, key: str, seconds: int) -> int:
        if self._async is not None:
            return await self._async.incr(key, seconds)
        return self._sync.incr(key, seconds) if self._sync is not None else 0

    async def _reset(self, key: str) -> float:
        if self._async is not None:
            return await self._async.get_expiry(key)
        return self._sync.get_expiry(key) if self._sync is not None else 0.0

    async def hit(
        self, scope: Scope, identity: Identity | None, rate_class: str | None
    ) -> list[tuple[bytes, bytes]]:
        if rate_class == ACCOUNT:
            return []  # the middleware spends it
        who, tier = self._caller(scope, identity)
        if rate_class is None:
            checks = [("account", tier.hourly)] + ([("burst", tier.burst)] if tier.burst else [])
        else:
            window = self.settings.classes.get(rate_class)
            if window is None:
                return []
            checks = [(rate_class, window)]
        headers: list[tuple[bytes, bytes]] | None = None
        for name, window in checks:
            # The key `limits` itself would use (RateLimitItem.key_for), built without it.
            key = f"kk/{name}/{who}/{window.limit}/{window.seconds}/second"
            count = await self._incr(key, window.seconds)
            if count > window.limit:
                raise exceeded(name, window, await self._reset(key))
            if headers is None:  # the first window is the one the headers describe
                reset = await self._reset(key)
                headers = rate_headers(window, window.limit - count, reset, name)
        return headers or []


def rate_headers(
    window: Window, remaining: int, reset: float, name: str
) -> list[tuple[bytes, bytes]]:
    """The reference's X-RateLimit-* (Reset: epoch seconds) and the IETF draft's
    (draft-ietf-httpapi-ratelimit-headers-09) structured fields `RateLimit-Policy:
    "name";q=limit;w=window` and `RateLimit: "name";r=remaining;t=seconds to reset`."""
    left = max(0, remaining)
    policy = sf_string(name)
    return [
        (b"x-ratelimit-limit", str(window.limit).encode()),
        (b"x-ratelimit-remaining", str(left).encode()),
        (b"x-ratelimit-reset", str(math.ceil(reset)).encode()),
        (b"x-ratelimit-window", str(window.seconds).encode()),
        (b"ratelimit-policy", f"{policy};q={window.limit};w={window.seconds}".encode()),
        (b"ratelimit", f"{policy};r={left};t={max(0, math.ceil(reset - time.time()))}".encode()),
    ]


def sf_string(text: str) -> str:
    """`text` as an RFC 9651 sf-string (printable ASCII; `"` and `\\` escaped)."""
    clean = "".join(c if " " <= c <= "~" else "_" for c in text)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exceeded(name: str, window: Window, reset: float) -> RateLimitExceeded:
    retry = max(1, math.ceil(reset - time.time()))
    what = "this account" if name in ("account", "burst") else name
    headers = {k.decode(): v.decode() for k, v in rate_headers(window, 0, reset, name)}
    return RateLimitExceeded(
        problems=[
            Problem(
                f"{window.describe()} allowed for {what}; retry in {retry} seconds",
                meta={"class": name, "limit": window.limit, "window": window.seconds},
            )
        ],
        headers={**headers, "Retry-After": str(retry)},
    )


class RateLimitMiddleware:
    """Spends the account budget of every HTTP request and puts X-RateLimit-* on its answer."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        authenticator: Authenticator | None,
        answer: ScopedAnswer | None = None,
        exempt: tuple[str, ...] = EXEMPT,
    ) -> None:
        self.app = app
        # the 429 in the spec's error format (server.documented); JSON:API when not given
        self.answer = answer
        self.limiter = limiter
        self.authenticator = authenticator
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        identity = None
        if self.authenticator is not None:
            identity = await identify(scope, self.authenticator)
        try:
            headers = await self.limiter.hit(scope, identity, None)
        except RateLimitExceeded as e:
            if self.answer is not None:
                await send_reply(send, self.answer(e, scope))
                return
            body = error_body(e, scope.get("kk.request_id", ""))
            await send_reply(send, Reply(429, body, dict(e.headers)))
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = message.get("headers") or []
                if not any(k.lower() == b"x-ratelimit-limit" for k, _ in present):
                    message["headers"] = [*present, *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
