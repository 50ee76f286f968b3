"""What `kk sandbox|mock|serve` ask for, and the settings decided from it and the environment."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from kkcore.errors import StartupError
from kkcore.types import ApiTable, Mode

CONFIG_ENV = "KK_APP_CONFIG"
DEFAULT_ISSUER = "http://127.0.0.1:8000"


@dataclass
class AppConfig:
    """What `kk sandbox|mock|serve` were asked for; serializable so workers can rebuild the app."""

    mode: Mode = "sandbox"
    spec: str | None = None
    graphql: str | None = None
    asyncapi: str | None = None
    seed: int = 0
    validate_responses: bool | None = None
    data_dir: str = ".kk"
    access_log: bool | None = None
    cors: bool | None = None
    # Browser origins allowed besides the loopback ones (`--cors-origin`; KK_CORS_ORIGINS adds).
    cors_origins: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    # Identity and limits (server/auth). auth: None = on in sandbox and strict, off in mock.
    auth: bool | None = None
    # "on" (the spec's numbers), "relaxed" (x100) or "off"; None = on, except off in mock.
    rate_limits: str | None = None
    # Overrides of the spec's tiers/classes, e.g. {"tiers": {"free": {"per_hour": 3,
    # "window": 2}}, "storage": "async+redis://..."} (see server.auth.limits.LimitSettings).
    limits: dict[str, Any] = field(default_factory=dict)
    issuer: str | None = None
    audience: str | None = None
    # Prometheus /metrics and request metrics: None = on, except in strict (`kk serve`).
    metrics: bool | None = None
    # GraphQL bounds (server.graphql_limits.QueryLimits fields, e.g. {"max_depth": 10}) over
    # KK_GRAPHQL_* and the defaults; introspection and the console: None = off in strict only.
    graphql_limits: dict[str, Any] = field(default_factory=dict)
    introspection: bool | None = None
    # Bind the handler groups (server.plugins): None = in sandbox and strict, never in mock.
    # False keeps only `core` groups (sign-in): a pure mock of the rest, seeded.
    handlers: bool | None = None
    # Swagger UI at /docs: None = KK_DOCS, else on except in strict (`kk serve`).
    docs: bool | None = None
    # Reverse proxies whose X-Forwarded-For counts ("10.0.0.1,10.1.0.0/16"); None = the
    # KK_TRUSTED_PROXIES environment variable, else none.
    trusted_proxies: str | None = None
    # Overrides of the WebSocket bounds (server.socketguard.SocketLimits; env KK_WS_*).
    sockets: dict[str, Any] = field(default_factory=dict)
    # Without auth (mock mode): a request lacking the declared credentials gets the
    # operation's documented 401/403, like Prism (`kk mock`, off with --no-auth).
    check_credentials: bool = False


def export_config(config: AppConfig) -> None:
    os.environ[CONFIG_ENV] = orjson.dumps(asdict(config)).decode()


_ORIGIN = re.compile(r"^https?://[^/\s?#*]+$")


def cors_origins(given: list[str]) -> list[str]:
    """`given` and KK_CORS_ORIGINS (comma-separated), each a scheme://host[:port] origin."""
    env = [o.strip() for o in os.environ.get("KK_CORS_ORIGINS", "").split(",") if o.strip()]
    origins = list(dict.fromkeys(o.rstrip("/") for o in [*given, *env]))
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise StartupError(
            f"not a browser origin: {', '.join(map(repr, bad))} (--cors-origin / "
            "KK_CORS_ORIGINS take scheme://host[:port], e.g. http://192.168.1.20:5173)"
        )
    return origins


def served_issuer(host: str, port: int) -> str:
    """The issuer `kk sandbox|serve --host --port` put in tokens: KK_ISSUER, else their URL
    (`kk keys token` takes the same options, so its tokens verify there)."""
    return os.environ.get("KK_ISSUER") or f"http://{host}:{port}"


def issuer_and_audience(config: AppConfig, table: ApiTable) -> tuple[str, str]:
    """`iss` and `aud` of the app's tokens: the config's, else KK_ISSUER / KK_AUDIENCE, else
    the default issuer and issuer + the API's base path."""
    issuer = config.issuer or os.environ.get("KK_ISSUER") or DEFAULT_ISSUER
    audience = (
        config.audience or os.environ.get("KK_AUDIENCE") or issuer.rstrip("/") + table["base_path"]
    )
    return issuer, audience


def docs_on(config: AppConfig) -> bool:
    if config.docs is not None:
        return config.docs
    raw = os.environ.get("KK_DOCS", "").strip().lower()
    if raw:
        return raw in ("1", "true", "yes", "on")
    return config.mode != "strict"


def trusted_proxies(config: AppConfig) -> list[str]:
    raw = config.trusted_proxies
    if raw is None:
        raw = os.environ.get("KK_TRUSTED_PROXIES", "")
    return [p.strip() for p in raw.split(",") if p.strip()]
