"""Build a ready ASGI app for a mode: the one place that puts table, handlers and mocks together."""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from starlette.routing import Route, WebSocketRoute

from server import tracing
from server.app import AppParts, choose_handlers, compile_operations, create_app
from server.binding import OperationGroup, bind, bind_frames, hooks
from server.config import Runtime
from server.errors import StartupError
from server.events import EventBus, make_bus
from server.filemodes import lock_down
from server.gqlsockets import GuardedTransportWS
from server.graphiql import graphiql_routes
from server.graphql import Bounds, build_graphql_app
from server.graphql_limits import QueryLimits
from server.plugins import handler_bindables, handler_groups, mock_factory
from server.postman import postman_routes
from server.socketguard import SocketGuard, SocketLimits
from server.specfiles import spec_dir
from server.types import ApiTable, Mode
from server.websocket import WebSocketAPI

if TYPE_CHECKING:  # imported where used: `kk mock` runs without identity and limits
    from server.auth.limits import RateLimits
    from server.auth.services import AuthServices

SKELETON = "generated"
CONFIG_ENV = "KK_APP_CONFIG"
DEFAULT_ISSUER = "http://127.0.0.1:8000"
RELAXED = 100


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


@dataclass
class Built:
    app: Any
    runtime: Runtime
    parts: AppParts


def _asyncapi(files: dict[str, Path], spec_given: bool) -> dict[str, Any] | None:
    if "asyncapi" not in files:
        return None
    if spec_given:
        from codegen.asyncapi import asyncapi_table, load_asyncapi

        return asyncapi_table(load_asyncapi(files["asyncapi"]))
    table: dict[str, Any] = importlib.import_module(f"{SKELETON}.asyncapi_messages").ASYNCAPI
    return table


def _graphql_table(files: dict[str, Path], spec_given: bool) -> dict[str, Any]:
    if spec_given:
        from codegen.graphql import graphql_table, load_sdl

        sdl = files["graphql"].read_text(encoding="utf-8")
        return graphql_table(load_sdl(sdl, str(files["graphql"])))
    table: dict[str, Any] = importlib.import_module(f"{SKELETON}.graphql_fields").GRAPHQL
    return table


def graphql_bounds(config: AppConfig, runtime: Runtime, table: dict[str, Any]) -> Bounds:
    """Query limits, introspection and the rate-limit class of each root field (that of the
    REST operation its `@mirrors` names; an unknown operation is a start-up error)."""
    try:
        limits = QueryLimits.from_env(config.graphql_limits)
    except ValueError as e:
        raise StartupError(str(e)) from e
    introspection = config.introspection
    if introspection is None:
        raw = os.environ.get("KK_GRAPHQL_INTROSPECTION", "").strip().lower()
        introspection = raw in ("1", "true", "on", "yes") if raw else config.mode != "strict"
    classes: dict[str, str | None] = {}
    operations = runtime.table["operations"]
    for key, op_id in (table.get("mirrors") or {}).items():
        if op_id not in operations:
            raise StartupError(f"GraphQL {key}: @mirrors names no REST operation {op_id!r}")
        classes[key] = operations[op_id]["rate_limit"]
    return Bounds(
        limits=limits,
        introspection=introspection,
        rate_limiter=runtime.rate_limiter,
        rate_classes=classes,
    )


def _realtime(
    config: AppConfig,
    runtime: Runtime,
    parts: AppParts,
    fallback: Any,
    bus: EventBus,
    spec_given: bool,
    groups: list[OperationGroup],
) -> None:
    """Mount /graphql and the AsyncAPI WebSocket endpoint when their spec files exist."""
    files = runtime.spec_files
    guard = runtime.extras["socket_guard"]
    asyncapi = _asyncapi(files, spec_given)
    if asyncapi is not None:
        ws = WebSocketAPI(
            asyncapi,
            bus,
            runtime.authenticator,
            validate_outbound=runtime.validate_responses,
            # frames the bound handler groups answer (chat stored in their database)
            frames=bind_frames(groups, asyncapi["receive"]),
            services=runtime.extras,
            rate_limiter=runtime.rate_limiter,
            guard=guard,
        )
        relay = getattr(fallback, "relay", None)
        if relay is not None:  # the mock store knows who takes part in a booking/conversation
            ws.relay = relay
        parts.routes.append(WebSocketRoute(asyncapi["address"], ws.endpoint))
    if "graphql" in files:
        table = _graphql_table(files, spec_given)
        bounds = graphql_bounds(config, runtime, table)
        with_handlers = runtime.mode != "mock" and config.handlers is not False
        bindables = [b for group in handler_bindables() for b in group] if with_handlers else []
        store = getattr(fallback, "bind_graphql", None)
        if not with_handlers:  # every field answered from the mock store
            bounds.data_version = getattr(store, "data_version", None)
        gql = build_graphql_app(
            files["graphql"].read_text(encoding="utf-8"),
            bindables,
            scopes=dict(table["scopes"]),
            authenticator=runtime.authenticator,
            mock=getattr(fallback, "bind_graphql", None),
            context={"bus": bus, "services": runtime.extras},
            title=runtime.table["title"],
            ws_handler=functools.partial(GuardedTransportWS, guard),
            bounds=bounds,
        )
        parts.routes += [
            *(graphiql_routes() if bounds.introspection else []),
            Route("/graphql", gql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gql),
        ]


def _skeleton() -> tuple[ApiTable, dict[str, type], Path]:
    table_mod = importlib.import_module(f"{SKELETON}.api_table")
    protocols_mod = importlib.import_module(f"{SKELETON}.protocols")
    return table_mod.TABLE, protocols_mod.PROTOCOLS, spec_dir()


def _spec_table(config: AppConfig) -> tuple[ApiTable, dict[str, type] | None, dict[str, Path]]:
    if config.spec is not None:
        from codegen.loader import is_url, load_spec
        from codegen.table import build_table

        doc, several = load_spec(config.spec)
        path = Path(config.spec)
        if several or is_url(config.spec):  # served at /openapi.yaml as one document
            path = _write_bundled(doc, Path(config.data_dir))
        files = {"openapi": path}
        if config.graphql:
            files["graphql"] = Path(config.graphql)
        if config.asyncapi:
            files["asyncapi"] = Path(config.asyncapi)
        return build_table(doc), None, files
    table, protocols, spec_dir = _skeleton()
    files = {"openapi": spec_dir / "openapi.yaml"}
    for key, name in (("graphql", "schema.graphql"), ("asyncapi", "asyncapi.yaml")):
        if (spec_dir / name).exists():
            files[key] = spec_dir / name
    return table, protocols, files


def _write_bundled(doc: dict[str, Any], data_dir: Path) -> Path:
    raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    path = data_dir / "specs" / f"{hashlib.sha256(raw).hexdigest()[:16]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def load_table(config: AppConfig) -> ApiTable:
    """The operation table `config` would serve (without building the app)."""
    return _spec_table(config)[0]


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


def _identity(config: AppConfig, runtime: Runtime, fallback: Any) -> AuthServices | None:
    """Authenticator, rate limiter and ownership source of the app (see server/auth)."""
    runtime.rate_limiter = _limiter(config, runtime.table)
    if not (config.auth if config.auth is not None else config.mode != "mock"):
        return None
    from server.auth.services import build_auth, declared_scopes  # SQLAlchemy, PyJWT, argon2

    issuer, audience = issuer_and_audience(config, runtime.table)
    auth = build_auth(
        Path(config.data_dir),
        issuer=issuer,
        audience=audience,
        scopes=declared_scopes(runtime.table),
        database_url=os.environ.get("KK_IDENTITY_DATABASE_URL"),
        counters=getattr(runtime.rate_limiter, "storage", None),  # shared by workers
    )
    runtime.extras["auth"] = auth
    runtime.authenticator = auth.authenticator
    runtime.ownership = getattr(fallback, "ownership", None)
    return auth


def _limiter(config: AppConfig, table: ApiTable) -> RateLimits | None:
    mode = config.rate_limits or ("off" if config.mode == "mock" else "on")
    if mode not in ("on", "relaxed", "off"):
        raise StartupError(f"rate_limits must be on, relaxed or off, not {mode!r}")
    if mode == "off":
        return None
    from server.auth.limits import LimitSettings, RateLimits

    overrides = dict(config.limits)
    redis = os.environ.get("REDIS_URL")
    if redis and "storage" not in overrides:
        overrides["storage"] = "async+" + redis
    settings = LimitSettings.from_table(table, overrides)
    return RateLimits(settings.scaled(RELAXED) if mode == "relaxed" else settings)


def _docs_on(config: AppConfig) -> bool:
    if config.docs is not None:
        return config.docs
    raw = os.environ.get("KK_DOCS", "").strip().lower()
    if raw:
        return raw in ("1", "true", "yes", "on")
    return config.mode != "strict"


def _trusted_proxies(config: AppConfig) -> list[str]:
    raw = config.trusted_proxies
    if raw is None:
        raw = os.environ.get("KK_TRUSTED_PROXIES", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def build(config: AppConfig) -> Built:
    """The app for `config`; raises StartupError (naming what is wrong) before serving anything."""
    table, protocols, files = _spec_table(config)
    mocking = config.mode != "strict"
    if config.mode != "mock":  # keys, identity store, database, uploads live there
        lock_down(Path(config.data_dir))
    runtime = Runtime(
        table=table,
        mode=config.mode,
        validate_responses=mocking
        if config.validate_responses is None
        else config.validate_responses,
        spec_files=files,
        access_log=(config.mode == "strict") if config.access_log is None else config.access_log,
        cors_origins=cors_origins(config.cors_origins),
        cors_origin_regex=(
            r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
            if (config.cors if config.cors is not None else mocking)
            else None
        ),
        extras={"data_dir": Path(config.data_dir), "seed": config.seed, **config.options},
        docs=_docs_on(config),
        trusted_proxies=_trusted_proxies(config),
        check_credentials=config.check_credentials,
    )
    runtime.metrics = config.metrics if config.metrics is not None else mocking
    if tracing.wanted(config.options):
        runtime.tracing = True
        tracing.setup(runtime.extras, f"kk-{config.mode}")
    bus = make_bus(os.environ.get("REDIS_URL"))
    runtime.extras["bus"] = bus
    use_handlers = config.handlers if config.handlers is not None else True
    groups = (
        [g for g in handler_groups() if use_handlers or g.core] if config.mode != "mock" else []
    )
    bound = bind(groups, table["operations"], protocols)
    fallback = (
        mock_factory()(table, seed=config.seed, bus=bus, spec_files=files, **config.options)
        if mocking
        else None
    )
    error_answer = getattr(fallback, "error_answer", None)
    if error_answer is not None:  # bodies for the operations' documented errors
        runtime.extras["error_answer"] = error_answer
    auth = _identity(config, runtime, fallback)
    # Frames per socket are a rate like the others: x100 when relaxed, unthrottled when off.
    rates = config.rate_limits or ("off" if config.mode == "mock" else "on")
    scale = {"on": 1, "relaxed": RELAXED}.get(rates, 0)
    limits = SocketLimits.from_env(config.sockets).scaled_rates(scale)
    runtime.extras["socket_guard"] = SocketGuard(limits, runtime.authenticator)
    for setup in hooks(groups, "setups"):
        setup(runtime)
    handlers = choose_handlers(table["operations"], bound, fallback, config.mode)
    parts = AppParts(operations=compile_operations(runtime, handlers))
    parts.startup.append(bus.start)
    if runtime.tracing and "tracer_provider" not in config.options:  # ours: flush spans at exit
        parts.shutdown.append(runtime.extras["tracer_provider"].shutdown)
    parts.shutdown.append(bus.close)
    for kind, into in (("startups", parts.startup), ("shutdowns", parts.shutdown)):
        into.extend(functools.partial(hook, runtime) for hook in hooks(groups, kind))
    parts.resets.extend(functools.partial(hook, runtime) for hook in hooks(groups, "resets"))
    parts.seeds.extend(functools.partial(hook, runtime) for hook in hooks(groups, "seeds"))
    if auth is not None:
        parts.shutdown.append(auth.store.close)
    close_limits = getattr(runtime.rate_limiter, "close", None)  # RateLimits, when limits are on
    if close_limits is not None:
        parts.shutdown.append(close_limits)
    extend = getattr(fallback, "extend", None)
    if extend is not None:  # the mock engine's own routes and hooks (sandbox reset, webhooks)
        extend(parts)
    _realtime(config, runtime, parts, fallback, bus, config.spec is not None, groups)
    if mocking:  # the sandbox's and mock's Postman files, generated from the served spec
        parts.routes += postman_routes(files["openapi"], table["base_path"])
    app = create_app(runtime, parts)
    runtime.extras["app"] = app  # for in-process sub-requests (a batch endpoint's)
    return Built(app, runtime, parts)


def export_config(config: AppConfig) -> None:
    os.environ[CONFIG_ENV] = orjson.dumps(asdict(config)).decode()


def app_from_env() -> Any:
    """uvicorn factory for `--workers N`: each worker rebuilds the same app from the env."""
    config = AppConfig(**orjson.loads(os.environ[CONFIG_ENV]))
    return build(config).app
