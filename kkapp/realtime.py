"""Mount /graphql and the AsyncAPI WebSocket endpoint of an app when their spec files exist."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from starlette.routing import Route, WebSocketRoute

from kkapp.config import AppConfig
from kkcore.errors import StartupError
from server.answer_cache import graphql_answers
from server.app import AppParts
from server.binding import OperationGroup, bind_frames
from server.config import Runtime
from server.documented import outside_answer
from server.events import EventBus
from server.gqlsockets import GuardedTransportWS
from server.graphiql import graphiql_routes
from server.graphql import Bounds, build_graphql_app
from server.graphql_limits import QueryLimits
from server.plugins import handler_bindables
from server.websocket import WebSocketAPI


def _asyncapi(files: dict[str, Path], spec_given: bool) -> dict[str, Any] | None:
    if "asyncapi" not in files:
        return None
    if spec_given:
        from kkcore.asyncapi import asyncapi_table, load_asyncapi

        return asyncapi_table(load_asyncapi(files["asyncapi"]))
    from generated.asyncapi_messages import ASYNCAPI

    return ASYNCAPI


def _graphql_table(files: dict[str, Path], spec_given: bool) -> dict[str, Any]:
    if spec_given:
        from kkcore.graphql import graphql_table, load_sdl

        sdl = files["graphql"].read_text(encoding="utf-8")
        return graphql_table(load_sdl(sdl, str(files["graphql"])))
    from generated.graphql_fields import GRAPHQL

    return GRAPHQL


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


def mount_realtime(
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
        else:  # the handlers' database (+ the mock store's fields): server.answer_cache
            graphql_answers(bounds, runtime.extras.get("answers"), store)
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
            *(graphiql_routes(outside_answer(runtime.table)) if bounds.introspection else []),
            Route("/graphql", gql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", gql),
        ]
