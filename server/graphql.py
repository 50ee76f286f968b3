"""GraphQL at /graphql with ariadne: schema-first, parse/validation cached per document text.

Root fields declare scopes with `@requiresScopes(scopes: [...])` in the SDL (generated into a
table); the same identity hook as REST checks them. Errors carry JSON:API codes in
`extensions.code`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from ariadne import make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler, GraphQLTransportWSHandler
from ariadne.explorer import Explorer
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule

from server.errors import ApiError, InvalidToken
from server.identity import Authenticator, Identity, authorize, bearer_token

CONSOLE = (Path(__file__).parent / "static" / "graphql_console.html").read_text(encoding="utf-8")


class LocalConsole(Explorer):
    """A small query console with no external assets (the sandbox works offline)."""

    def html(self, request: Any) -> str:
        return CONSOLE


@functools.lru_cache(maxsize=1024)
def _parse(query: str) -> DocumentNode:
    return parse(query)


def cached_parser(context: Any, data: dict[str, Any]) -> DocumentNode:
    query = data.get("query")
    if not isinstance(query, str):
        raise GraphQLError("The query must be a string.")
    return _parse(query)


class CachedValidator:
    """graphql-core validation (~750 µs) done once per distinct document."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], list[GraphQLError]] = {}

    def __call__(
        self,
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        type_info: Any = None,
    ) -> list[GraphQLError]:
        key = (id(schema), id(document_ast))
        found = self._cache.get(key)
        if found is None:
            found = validate(schema, document_ast, rules=rules, max_errors=max_errors)
            if len(self._cache) < 4096:
                self._cache[key] = found
        return found


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, ApiError):
        extensions.update(code=original.code, status=original.status)
    elif original is not None:
        formatted["message"] = "An unexpected error occurred"
        extensions.update(code="INTERNAL_ERROR", status=500)
    else:
        extensions.setdefault("code", "VALIDATION_ERROR")
    formatted["extensions"] = extensions
    return formatted


def _guard(resolver: Callable[..., Any], scopes: list[str]) -> Callable[..., Any]:
    requirement = [{"bearer": scopes}]

    if inspect.isasyncgenfunction(resolver):

        async def guarded_gen(obj: Any, info: Any, **kwargs: Any) -> Any:
            authorize(info.context.get("identity"), requirement)
            async for item in resolver(obj, info, **kwargs):
                yield item

        return guarded_gen

    def guarded(obj: Any, info: Any, **kwargs: Any) -> Any:
        authorize(info.context.get("identity"), requirement)
        return resolver(obj, info, **kwargs)

    return guarded


def enforce_scopes(schema: GraphQLSchema, scopes: dict[str, list[str]]) -> None:
    """Wrap every field that declares scopes (root or nested) with the REST scope check."""
    for key, needed in scopes.items():
        type_name, _, name = key.partition(".")
        t = schema.type_map.get(type_name)
        if not needed or not isinstance(t, GraphQLObjectType) or name not in t.fields:
            continue
        field = t.fields[name]
        if type_name == "Subscription" and field.subscribe is not None:
            field.subscribe = _guard(field.subscribe, needed)
        elif field.resolve is not None:
            field.resolve = _guard(field.resolve, needed)
        else:
            field.resolve = _guard(lambda obj, info, _n=name, **kw: _default(obj, _n), needed)


def _default(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def build_graphql_app(
    sdl: str,
    bindables: list[Any],
    *,
    scopes: dict[str, list[str]],
    authenticator: Authenticator | None,
    mock: Callable[[GraphQLSchema], None] | None,
    context: dict[str, Any] | None = None,
    debug: bool = False,
) -> GraphQL:
    schema = make_executable_schema(sdl, *bindables)
    if mock is not None:
        mock(schema)
    if authenticator is not None:
        enforce_scopes(schema, scopes)

    async def identify(token: str | None) -> Identity | None:
        if token is None or authenticator is None:
            return None
        return await authenticator.authenticate(token)

    async def context_value(request: Any, data: Any) -> dict[str, Any]:
        identity = request.scope.get("kk.identity")
        if identity is None and request.scope["type"] == "http":
            header = request.headers.get("authorization")
            token = bearer_token(header)
            if header and token is None:
                raise InvalidToken("The Authorization header must be 'Bearer <token>'")
            identity = await identify(token)
        return {"request": request, "identity": identity, **(context or {})}

    async def on_connect(websocket: Any, payload: Any) -> None:
        token = None
        if isinstance(payload, dict):
            raw = (
                payload.get("authorization") or payload.get("Authorization") or payload.get("token")
            )
            token = bearer_token(raw) if isinstance(raw, str) and " " in raw else raw
        websocket.scope["kk.identity"] = await identify(token if isinstance(token, str) else None)

    return GraphQL(
        schema,
        context_value=context_value,
        query_parser=cached_parser,
        query_validator=CachedValidator(),
        error_formatter=format_error,
        debug=debug,
        explorer=LocalConsole(),
        http_handler=GraphQLHTTPHandler(),
        websocket_handler=GraphQLTransportWSHandler(on_connect=on_connect),
    )
