"""Small documents for the rule cases: an OpenAPI one around a request body, a response, a
parameter; an AsyncAPI one around receive and send operations."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.diff import Level

B, D, S = Level.BREAKING, Level.DANGEROUS, Level.INFO
TODAY = "2026-06-01"  # the date the sunset cases are judged on


@dataclass(frozen=True)
class Case:
    kind: str  # openapi | asyncapi | graphql
    rule: str
    level: Level
    old: Any
    new: Any
    back: str | None = None  # the rule new -> old reports
    back_level: Level | None = None


def cases(kind: str) -> Callable[..., Case]:
    """The Case builder of one kind of document: `case(rule, level, old, new, back, back_level)`."""
    return functools.partial(Case, kind)


def openapi(paths: dict[str, Any], version: str = "3.1.0", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "t", "version": "1.0.0"}, "paths": paths} | extra


def body(schema: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    post = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"204": {"description": "done"}},
    }
    return openapi({"/items": {"post": post}}, version)


def answer(schema: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    ok = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    return openapi({"/items": {"get": {"responses": {"200": ok}}}}, version)


def op(**fields: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}} | fields


def query(name: str = "limit", required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": "integer"} | schema,
    }


def with_param(*params: dict[str, Any], path: str = "/items") -> dict[str, Any]:
    return openapi({path: {"get": op(parameters=list(params))}})


def obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props or {"a": {"type": "string"}}}
    return schema | ({"required": required} if required is not None else {})


STRING, INT = {"type": "string"}, {"type": "integer"}


def changed(doc: dict[str, Any], change: Any) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    change(new)
    return new


def asyncapi(operations: dict[str, Any], **messages: dict[str, Any]) -> dict[str, Any]:
    channel_messages = {k: {"$ref": f"#/components/messages/{k}"} for k in messages}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1.0.0"},
        "channels": {"ws": {"address": "/ws", "messages": channel_messages}},
        "operations": operations,
        "components": {"messages": {k: {"name": k} | v for k, v in messages.items()}},
    }


def action(kind: str, *names: str, reply: tuple[str, ...] = ()) -> dict[str, Any]:
    refs = [{"$ref": f"#/channels/ws/messages/{n}"} for n in names]
    found: dict[str, Any] = {"action": kind, "channel": {"$ref": "#/channels/ws"}, "messages": refs}
    if reply:
        found["reply"] = {"messages": [{"$ref": f"#/channels/ws/messages/{n}"} for n in reply]}
    return found


def frame(**props: Any) -> dict[str, Any]:
    return {"payload": obj(**props)}
