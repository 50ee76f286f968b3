"""Starlette routes from the operation table: one route per path, dispatching on method."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.routing import BaseRoute, Route, Router

from server.errors import MethodNotAllowed, NotFound
from server.pipeline import Operation, OperationEndpoint
from server.problems import error_body
from server.responses import Reply, send_reply
from server.types import Receive, Scope, Send

_TEMPLATE = re.compile(r"\{[^}/]+\}")


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


def _specificity(path: str) -> tuple[tuple[int, str], ...]:
    # Literal segments before templated ones, so /intents/search wins over /intents/{id}.
    return tuple((1 if _TEMPLATE.search(s) else 0, s) for s in path.split("/"))


def operation_routes(operations: Iterable[Operation]) -> list[BaseRoute]:
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.spec["path"], []).append(op)
    return [
        Route(path, PathEndpoint(ops))
        for path, ops in sorted(by_path.items(), key=lambda kv: _specificity(kv[0]))
    ]


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    error = NotFound(f"No route matches {scope['method']} {scope['path']}")
    await send_reply(send, Reply(404, error_body(error, scope.get("kk.request_id", ""))))


def build_router(routes: list[BaseRoute]) -> Router:
    return Router(routes, default=not_found)
