"""Build a ready ASGI app for a mode: the one place that puts table, handlers and mocks together."""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.routing import Route, WebSocketRoute

from server.app import AppParts, choose_handlers, compile_operations, create_app
from server.binding import bind
from server.config import Runtime
from server.events import EventBus, make_bus
from server.graphql import build_graphql_app
from server.plugins import handler_bindables, handler_groups, mock_factory
from server.types import ApiTable, Mode
from server.websocket import WebSocketAPI

SKELETON = "generated"
CONFIG_ENV = "KK_APP_CONFIG"


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
    runtime: Runtime, parts: AppParts, fallback: Any, bus: EventBus, spec_given: bool
) -> None:
    """Mount /graphql and the AsyncAPI WebSocket endpoint when their spec files exist."""
    files = runtime.spec_files
    asyncapi = _asyncapi(files, spec_given)
    if asyncapi is not None:
        ws = WebSocketAPI(
            asyncapi, bus, runtime.authenticator, validate_outbound=runtime.validate_responses
        )
        parts.routes.append(WebSocketRoute(asyncapi["address"], ws.endpoint))
    if "graphql" in files:
        bindables = (
            [b for group in handler_bindables() for b in group] if runtime.mode != "mock" else []
        )
        gql = build_graphql_app(
            files["graphql"].read_text(encoding="utf-8"),
            bindables,
            scopes=_graphql_scopes(files, spec_given),
            authenticator=runtime.authenticator,
            mock=getattr(fallback, "bind_graphql", None),
            context={"bus": bus},
        )
        parts.routes += [
            Route("/graphql", gql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gql),
        ]


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
    bus = make_bus(os.environ.get("REDIS_URL"))
    runtime.extras["bus"] = bus
    bound = bind(handler_groups(), table["operations"], protocols) if config.mode != "mock" else {}
    fallback = (
        mock_factory()(table, seed=config.seed, bus=bus, **config.options) if mocking else None
    )
    handlers = choose_handlers(table["operations"], bound, fallback, config.mode)
    parts = AppParts(operations=compile_operations(runtime, handlers))
    parts.startup.append(bus.start)
    parts.shutdown.append(bus.close)
    _realtime(runtime, parts, fallback, bus, config.spec is not None)
    return Built(create_app(runtime, parts), runtime, parts)


def export_config(config: AppConfig) -> None:
    os.environ[CONFIG_ENV] = orjson.dumps(asdict(config)).decode()


def app_from_env() -> Any:
    """uvicorn factory for `--workers N`: each worker rebuilds the same app from the env."""
    config = AppConfig(**orjson.loads(os.environ[CONFIG_ENV]))
    return build(config).app
