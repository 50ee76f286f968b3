"""Build a ready ASGI app for a mode: the one place that puts table, handlers and mocks together."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kkapp.config import (
    CONFIG_ENV,
    AppConfig,
    cors_origins,
    docs_on,
    issuer_and_audience,
    trusted_proxies,
)
from kkapp.heap import frozen_after_startup, thresholds_for
from kkapp.postman import postman_routes
from kkapp.realtime import mount_realtime
from kkcore.errors import StartupError
from kkcore.types import ApiTable
from server import tracing
from server.app import AppParts, choose_handlers, compile_operations, create_app
from server.binding import bind, hooks
from server.config import Runtime
from server.documented import outside_answer
from server.events import make_bus
from server.filemodes import lock_down
from server.plugins import handler_groups, mock_factory
from server.socketguard import SocketGuard, SocketLimits
from server.specfiles import spec_dir

if TYPE_CHECKING:  # imported where used: `kk mock` runs without identity and limits
    from server.auth.limits import RateLimits
    from server.auth.services import AuthServices

RELAXED = 100


@dataclass
class Built:
    app: Any
    runtime: Runtime
    parts: AppParts


def _skeleton() -> tuple[ApiTable, dict[str, type], Path]:
    """The flagship's generated table and Protocols, imported only when no --spec is given."""
    from generated import api_table, protocols

    return api_table.TABLE, protocols.PROTOCOLS, spec_dir()


def _spec_table(config: AppConfig) -> tuple[ApiTable, dict[str, type] | None, dict[str, Path]]:
    if config.spec is not None:
        from kkcore.loader import is_url, load_spec
        from kkcore.table import build_table

        doc, several = load_spec(config.spec)
        path = Path(config.spec)
        if several or is_url(config.spec):  # served at /openapi.yaml as one document
            path = _write_bundled(doc, Path(config.data_dir))
        files = {"openapi": path}
        if config.graphql:
            files["graphql"] = Path(config.graphql)
        if config.asyncapi:
            files["asyncapi"] = Path(config.asyncapi)
        return build_table(doc, server_fallbacks=True), None, files
    table, protocols, spec_root = _skeleton()
    files = {"openapi": spec_root / "openapi.yaml"}
    for key, name in (("graphql", "schema.graphql"), ("asyncapi", "asyncapi.yaml")):
        if (spec_root / name).exists():
            files[key] = spec_root / name
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
        docs=docs_on(config),
        trusted_proxies=trusted_proxies(config),
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
    mount_realtime(config, runtime, parts, fallback, bus, config.spec is not None, groups)
    if mocking:  # the sandbox's and mock's Postman files, generated from the served spec
        refuse = outside_answer(table)  # in the spec's error format
        parts.routes += postman_routes(files["openapi"], table["base_path"], refuse)
    app = create_app(runtime, parts)
    runtime.extras["app"] = app  # for in-process sub-requests (a batch endpoint's)
    return Built(app, runtime, parts)


def app_from_env() -> Any:
    """uvicorn factory for `--workers N`: each worker rebuilds the same app from the env."""
    config = AppConfig(**orjson.loads(os.environ[CONFIG_ENV]))
    return frozen_after_startup(build(config).app, thresholds_for(config.mode))
