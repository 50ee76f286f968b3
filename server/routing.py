"""Routing from the operation table: a segment tree of paths, each dispatching on method."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from starlette.routing import BaseRoute, Router

from kkcore.errors import MethodNotAllowed, NotFound
from kkcore.types import Receive, Scope, Send
from server.documented import OutsideAnswer, problem_answer
from server.pipeline import OperationEndpoint
from server.ports import Operation
from server.responses import send_reply

_TEMPLATE = re.compile(r"\{[^}/]+\}")
ASGIApp = Any
_SAFE = ":@!$&'()*+,;="  # RFC 3986 sub-delims and pchar: kept as they are when re-encoding
log = logging.getLogger("kk.routing")


class PathEndpoint:
    """All operations of one path structure; an undeclared method gets 405 with a correct Allow.

    Paths of the same structure may name their parameters differently (`/order/{order_id}`
    for POST, `/order/{orderId}` for GET): each method binds the captured values to its own
    operation's names.
    """

    __slots__ = ("methods", "allow", "answer")

    def __init__(self, answer: OutsideAnswer = problem_answer) -> None:
        self.methods: dict[str, tuple[OperationEndpoint, tuple[str, ...]]] = {}
        self.allow = ""
        self.answer = answer

    def add(self, op: Operation, names: tuple[str, ...]) -> None:
        method = op.spec["method"]
        if method in self.methods:
            kept = self.methods[method][0].op.spec
            log.warning(
                "%s %s has the same structure as %s of %s; %s answers it",
                method,
                op.spec["path"],
                kept["operation_id"],
                kept["path"],
                kept["operation_id"],
            )
            return
        self.methods[method] = (OperationEndpoint(op), names)
        self.allow = ", ".join(sorted(self.methods))

    def operation_id(self, method: str) -> str | None:
        """The operationId answering `method` here, None for a 405."""
        found = self.methods.get(method)
        return found[0].op.spec["operation_id"] if found is not None else None

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, values: tuple[str, ...] = ()
    ) -> None:
        found = self.methods.get(scope["method"])
        if found is not None:
            scope["path_params"] = dict(zip(found[1], values, strict=False))
            await found[0](scope, receive, send)
            return
        error = MethodNotAllowed(
            f"{scope['method']} is not allowed here; allowed: {self.allow}",
            headers={"Allow": self.allow},
        )
        await send_reply(send, self.answer(error, scope.get("kk.request_id", "")))


class _Node:
    __slots__ = ("literal", "patterns", "param", "endpoint")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        # Segments with text around their parameters (`{id}.json`, `{name}:undelete`), keyed by
        # the template without names; most literal text first, so the most specific wins.
        self.patterns: dict[str, tuple[re.Pattern[str], _Node]] = {}
        self.param: _Node | None = None
        self.endpoint: PathEndpoint | None = None

    def child(self, segment: str, names: list[str]) -> _Node:
        variables = _TEMPLATE.findall(segment)
        if not variables:
            return self.literal.setdefault(segment, _Node())
        names.extend(v[1:-1] for v in variables)
        if _TEMPLATE.fullmatch(segment):
            if self.param is None:
                self.param = _Node()
            return self.param
        key = _TEMPLATE.sub("{}", segment)
        if key not in self.patterns:
            regex = "".join(
                "([^/]+?)" if part == "{}" else re.escape(part)
                for part in re.split(r"(\{\})", key)
                if part
            )
            self.patterns[key] = (re.compile(regex), _Node())
            self.patterns = dict(
                sorted(self.patterns.items(), key=lambda kv: -len(kv[0].replace("{}", "")))
            )
        return self.patterns[key][1]


class OperationRouter:
    """Operation paths in a segment tree: O(path depth), no regex scan over every route.

    A literal segment wins over one with text around a template (/geo/{id}.json), which wins
    over a bare template (/intents/search before /intents/{id}); a template matches a
    non-empty part of one segment. Anything else goes to `fallback` (the Starlette router
    with docs, GraphQL, WebSockets and the 404).
    """

    def __init__(
        self,
        operations: Iterable[Operation],
        fallback: ASGIApp,
        answer: OutsideAnswer = problem_answer,
    ) -> None:
        self.fallback = fallback
        self.root = _Node()
        operations = list(operations)
        for op in operations:
            self._add(op, op.spec["path"], answer)
        # Prism-like leniency for clients that ignore path-item/operation `servers` (as
        # Schemathesis does): such an operation also answers under the document's first
        # server, unless a route of the document already answers that method and path.
        for op in operations:
            alias = op.spec.get("fallback_path")
            if alias is not None and not self._answers(op.spec["method"], alias):
                log.info("%s %s is also served at %s", op.spec["method"], op.spec["path"], alias)
                self._add(op, alias, answer)

    def _add(self, op: Operation, path: str, answer: OutsideAnswer) -> None:
        node, names = self.root, list[str]()
        for segment in path.strip("/").split("/"):
            node = node.child(segment, names)
        if node.endpoint is None:
            node.endpoint = PathEndpoint(answer)
        node.endpoint.add(op, tuple(names))

    def _answers(self, method: str, template: str) -> bool:
        """Whether a route answers `method` at `template` taken as a concrete path (its
        `{name}` parts as text, which any parameter segment matches)."""
        found = self.match(template)
        return found is not None and method in found[0].methods

    def match(self, path: str) -> tuple[PathEndpoint, tuple[str, ...]] | None:
        """The endpoint of a path as sent (percent-escapes kept, see `raw_path`) and its
        parameters' values, still encoded: their style splits them before they are decoded."""
        return _walk(self.root, path.strip("/").split("/"), 0, ())

    def locate(self, method: str, path: str) -> str | None:
        """The operationId of `method path`, None when no operation answers it."""
        found = self.match(path)
        return found[0].operation_id(method) if found is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.match(raw_path(scope))
            if found is not None:
                scope["kk.path"] = found[0]  # for what observes the request (server.metrics)
                await found[0](scope, receive, send, found[1])
                return
        await self.fallback(scope, receive, send)


def raw_path(scope: Scope) -> str:
    """The request path as the client wrote it: `%2C` inside a value is not a delimiter.

    ASGI's `path` is decoded; `raw_path` (when the server gives it, and it is the same path)
    keeps the escapes. Without it, the decoded path is re-encoded: the best that can be done.
    """
    path: str = scope["path"]
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.split(b"?", 1)[0].decode("latin-1")
        if text == path or ("%" in text and unquote(text) == path):
            return text
    return quote(path, safe="/" + _SAFE)


def _decoded(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment


def _captured(regex: re.Pattern[str], segment: str) -> tuple[str, ...] | None:
    """The parameters of a segment with text around them, kept encoded; the text may be
    written as it is or escaped (`%3Aundelete`)."""
    m = regex.fullmatch(segment)
    if m is not None:
        return m.groups() if all(m.groups()) else None
    if "%" not in segment or (m := regex.fullmatch(unquote(segment))) is None:
        return None
    return tuple(quote(g, safe=_SAFE) for g in m.groups()) if all(m.groups()) else None


def _walk(
    node: _Node, parts: list[str], i: int, values: tuple[str, ...]
) -> tuple[PathEndpoint, tuple[str, ...]] | None:
    if i == len(parts):
        return (node.endpoint, values) if node.endpoint is not None else None
    segment = parts[i]
    child = node.literal.get(_decoded(segment))
    if child is not None:
        found = _walk(child, parts, i + 1, values)
        if found is not None:
            return found
    for regex, pattern_child in node.patterns.values():
        groups = _captured(regex, segment)
        if groups is not None:
            found = _walk(pattern_child, parts, i + 1, values + groups)
            if found is not None:
                return found
    if node.param is not None and segment:
        return _walk(node.param, parts, i + 1, (*values, segment))
    return None


def not_found(answer: OutsideAnswer = problem_answer) -> ASGIApp:
    """The answer where no route matches: 404 in `answer`'s format (a WebSocket: closed)."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        error = NotFound(f"No route matches {scope['method']} {scope['path']}")
        await send_reply(send, answer(error, scope.get("kk.request_id", "")))

    return endpoint


def build_router(routes: list[BaseRoute], answer: OutsideAnswer = problem_answer) -> Router:
    return Router(routes, default=not_found(answer))
