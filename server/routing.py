"""Routing from the operation table: a segment tree of paths, each dispatching on method."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Router

from server.errors import MethodNotAllowed, NotFound, SpecError
from server.pipeline import Operation, OperationEndpoint
from server.problems import error_body
from server.responses import Reply, send_reply
from server.types import Receive, Scope, Send

_TEMPLATE = re.compile(r"\{[^}/]+\}")
ASGIApp = Any


class PathEndpoint:
    """All operations of one path; an undeclared method gets 405 with a correct Allow."""

    __slots__ = ("methods", "allow")

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.methods = {op.spec["method"]: OperationEndpoint(op) for op in operations}
        self.allow = ", ".join(sorted(self.methods))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.methods.get(scope["method"])
        if endpoint is not None:
            await endpoint(scope, receive, send)
            return
        error = MethodNotAllowed(
            f"{scope['method']} is not allowed here; allowed: {self.allow}",
            headers={"Allow": self.allow},
        )
        await send_reply(
            send, Reply(405, error_body(error, scope.get("kk.request_id", "")), error.headers)
        )


class _Node:
    __slots__ = ("literal", "param", "name", "endpoint")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.name = ""
        self.endpoint: PathEndpoint | None = None


class OperationRouter:
    """Operation paths in a segment tree: O(path depth), no regex scan over every route.

    A literal segment wins over a template (/intents/search before /intents/{id}); a
    template matches one non-empty segment. Anything else goes to `fallback` (the Starlette
    router with docs, GraphQL, WebSockets and the JSON:API 404).
    """

    def __init__(self, operations: Iterable[Operation], fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.root = _Node()
        by_path: dict[str, list[Operation]] = {}
        for op in operations:
            by_path.setdefault(op.spec["path"], []).append(op)
        for path, ops in by_path.items():
            node = self.root
            for segment in path.strip("/").split("/"):
                if _TEMPLATE.fullmatch(segment):
                    if node.param is None:
                        node.param = _Node()
                        node.param.name = segment[1:-1]
                    elif node.param.name != segment[1:-1]:
                        raise SpecError(f"{path}: {segment} clashes with {{{node.param.name}}}")
                    node = node.param
                elif "{" in segment:
                    raise SpecError(f"{path}: partial-segment templates are not supported")
                else:
                    node = node.literal.setdefault(segment, _Node())
            node.endpoint = PathEndpoint(ops)

    def match(self, path: str) -> tuple[PathEndpoint, dict[str, str]] | None:
        return _walk(self.root, path.strip("/").split("/"), 0, {})

    def locate(self, method: str, path: str) -> str | None:
        """The operationId of `method path`, None when no operation answers it."""
        found = self.match(path)
        endpoint = found[0].methods.get(method) if found is not None else None
        return endpoint.op.spec["operation_id"] if endpoint is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.match(scope["path"])
            if found is not None:
                scope["path_params"] = found[1]
                scope["kk.path"] = found[0]  # for what observes the request (server.metrics)
                await found[0](scope, receive, send)
                return
        await self.fallback(scope, receive, send)


def _walk(
    node: _Node, parts: list[str], i: int, params: dict[str, str]
) -> tuple[PathEndpoint, dict[str, str]] | None:
    if i == len(parts):
        return (node.endpoint, params) if node.endpoint is not None else None
    segment = parts[i]
    child = node.literal.get(segment)
    if child is not None:
        found = _walk(child, parts, i + 1, params)
        if found is not None:
            return found
    if node.param is not None and segment:
        return _walk(node.param, parts, i + 1, {**params, node.param.name: segment})
    return None


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    error = NotFound(f"No route matches {scope['method']} {scope['path']}")
    await send_reply(send, Reply(404, error_body(error, scope.get("kk.request_id", ""))))


def build_router(routes: list[BaseRoute]) -> Router:
    return Router(routes, default=not_found)
