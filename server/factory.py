"""Build a ready ASGI app for a mode: the one place that puts table, handlers and mocks together."""

from __future__ import annotations

import functools
import importlib
import os
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
from server.graphql import build_graphql_app, graphiql_assets, graphiql_routes
from server.plugins import handler_bindables, handler_groups, mock_factory
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
    # Bind the handler groups (server.plugins): None = in sandbox and strict, never in mock.
    # False keeps only `core` groups (sign-in): a pure mock of the rest, seeded.
    handlers: bool | None = None


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


def _graphql_scopes(files: dict[str, Path], spec_given: bool) -> dict[str, list[str]]:
    if spec_given:
        from codegen.graphql import graphql_table, load_sdl

        sdl = files["graphql"].read_text(encoding="utf-8")
        scopes: dict[str, list[str]] = graphql_table(load_sdl(sdl, str(files["graphql"])))["scopes"]
        return scopes
    table: dict[str, Any] = importlib.import_module(f"{SKELETON}.graphql_fields").GRAPHQL
    return dict(table["scopes"])


def _realtime(
    runtime: Runtime,
    parts: AppParts,
    fallback: Any,
    bus: EventBus,
    spec_given: bool,
    groups: list[OperationGroup],
) -> None:
    """Mount /graphql and the AsyncAPI WebSocket endpoint when their spec files exist."""
    files = runtime.spec_files
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
        )
        relay = getattr(fallback, "relay", None)
        if relay is not None:  # the mock store knows who takes part in a booking/conversation
            ws.relay = relay
        parts.routes.append(WebSocketRoute(asyncapi["address"], ws.endpoint))
    if "graphql" in files:
        assets = graphiql_assets(_graphiql_dir(files["openapi"]))
        bindables = (
            [b for group in handler_bindables() for b in group] if runtime.mode != "mock" else []
        )
        gql = build_graphql_app(
            files["graphql"].read_text(encoding="utf-8"),
            bindables,
            scopes=_graphql_scopes(files, spec_given),
            authenticator=runtime.authenticator,
            mock=getattr(fallback, "bind_graphql", None),
            context={"bus": bus, "services": runtime.extras},
            title=runtime.table["title"],
            graphiql=assets is not None,
        )
        parts.routes += [
            *graphiql_routes(assets),
            Route("/graphql", gql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gql),
        ]


def _graphiql_dir(openapi: Path) -> Path | None:
    """tools/graphiql/node_modules of the project the spec belongs to, else of the cwd."""
    for root in (openapi.resolve().parent.parent, Path.cwd()):
        candidate = root / "tools" / "graphiql" / "node_modules"
        if candidate.is_dir():
            return candidate
    return None


def _skeleton() -> tuple[ApiTable, dict[str, type], Path]:
    table_mod = importlib.import_module(f"{SKELETON}.api_table")
    protocols_mod = importlib.import_module(f"{SKELETON}.protocols")
    root = Path(str(table_mod.__file__)).resolve().parent.parent
    return table_mod.TABLE, protocols_mod.PROTOCOLS, root / "spec"


def _spec_table(config: AppConfig) -> tuple[ApiTable, dict[str, type] | None, dict[str, Path]]:
    if config.spec is not None:
        from codegen.loader import load_document
        from codegen.table import build_table

        path = Path(config.spec)
        files = {"openapi": path}
        if config.graphql:
            files["graphql"] = Path(config.graphql)
        if config.asyncapi:
            files["asyncapi"] = Path(config.asyncapi)
        return build_table(load_document(path)), None, files
    table, protocols, spec_dir = _skeleton()
    files = {"openapi": spec_dir / "openapi.yaml"}
    for key, name in (("graphql", "schema.graphql"), ("asyncapi", "asyncapi.yaml")):
        if (spec_dir / name).exists():
            files[key] = spec_dir / name
    return table, protocols, files


def load_table(config: AppConfig) -> ApiTable:
    """The operation table `config` would serve (without building the app)."""
    return _spec_table(config)[0]


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


def build(config: AppConfig) -> Built:
    """The app for `config`; raises StartupError (naming what is wrong) before serving anything."""
    table, protocols, files = _spec_table(config)
    mocking = config.mode != "strict"
    runtime = Runtime(
        table=table,
        mode=config.mode,
        validate_responses=mocking
        if config.validate_responses is None
        else config.validate_responses,
        spec_files=files,
        access_log=(config.mode == "strict") if config.access_log is None else config.access_log,
        cors_origin_regex=(
            r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
            if (config.cors if config.cors is not None else mocking)
            else None
        ),
        extras={"data_dir": Path(config.data_dir), "seed": config.seed, **config.options},
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
    auth = _identity(config, runtime, fallback)
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
    _realtime(runtime, parts, fallback, bus, config.spec is not None, groups)
    app = create_app(runtime, parts)
    runtime.extras["app"] = app  # for in-process sub-requests (a batch endpoint's)
    return Built(app, runtime, parts)


def export_config(config: AppConfig) -> None:
    os.environ[CONFIG_ENV] = orjson.dumps(asdict(config)).decode()


def app_from_env() -> Any:
    """uvicorn factory for `--workers N`: each worker rebuilds the same app from the env."""
    config = AppConfig(**orjson.loads(os.environ[CONFIG_ENV]))
    return build(config).app
