"""GraphQL at /graphql with ariadne: schema-first, parse/validation cached per document text.

Root fields declare scopes with `@requiresScopes(scopes: [...])` in the SDL (generated into a
table); the same identity hook as REST checks them. Errors carry JSON:API codes in
`extensions.code`.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

from ariadne import make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler, GraphQLTransportWSHandler
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    StringValueNode,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql.validation import ASTValidationRule

from server.errors import ApiError, NotImplementedOperation
from server.graphiql import GraphiQLPage
from server.identity import Authenticator, Identity, authorize, bearer_token
from server.identity import identify as identify_request


@functools.lru_cache(maxsize=1024)
def _parse(query: str) -> DocumentNode:
    return parse(query)


NUL_TEXT = "Text may not contain the NUL character (U+0000)"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def cached_parser(context: Any, data: dict[str, Any]) -> DocumentNode:
    """The parsed document (cached). Text with U+0000, in a variable or a string literal, is
    refused as REST refuses it (PostgreSQL cannot store it), before anything runs."""
    query = data.get("query")
    if not isinstance(query, str):
        raise GraphQLError("The query must be a string.")
    if _has_nul(data.get("variables")):
        raise GraphQLError(NUL_TEXT)
    document = _parse(query)
    if "\\u0000" in query or "\x00" in query:
        for node in _string_values(document):
            if "\x00" in node:
                raise GraphQLError(NUL_TEXT)
    return document


def _string_values(document: DocumentNode) -> list[str]:
    found: list[str] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            found.append(node.value)

    visit(document, Strings())
    return found


class CachedValidator:
    """graphql-core validation (~750 µs) done once per distinct document.

    Keyed by the document's id, and the entry keeps the document alive: a freed document's id
    can be reused by a new one, which must never inherit the old document's verdict.
    """

    def __init__(self, size: int = 1024) -> None:
        self._cache: OrderedDict[int, tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()
        self._size = size

    def __call__(
        self,
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        type_info: Any = None,
    ) -> list[GraphQLError]:
        key = id(document_ast)
        entry = self._cache.get(key)
        if entry is not None and entry[0] is document_ast:
            self._cache.move_to_end(key)
            return entry[1]
        found = validate(schema, document_ast, rules=rules, max_errors=max_errors)
        self._cache[key] = (document_ast, found)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found


class _ClientErrors(logging.Filter):
    """Drop log records of client mistakes (bad queries); keep real resolver crashes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, GraphQLError):
            original = error.original_error
            return original is not None and not isinstance(original, (GraphQLError, ApiError))
        return True


graphql_log = logging.getLogger("kk.graphql")
graphql_log.addFilter(_ClientErrors())


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """`extensions.code` and `status` as REST's errors; an argument a resolver refuses (400,
    422) is also classified `ValidationError` (graphql-java's label), so clients and fuzzers
    tell a bad argument from a server failure."""
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, ApiError):
        extensions.update(code=original.code, status=original.status)
        if original.status in (400, 422):
            extensions["classification"] = "ValidationError"
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


Resolvers = dict[tuple[str, str], tuple[Any, Any]]


def _bound_fields(schema: GraphQLSchema) -> Resolvers:
    """(type, field) -> (resolve, subscribe) of every field a bindable resolved."""
    found: Resolvers = {}
    for t in schema.type_map.values():
        if isinstance(t, GraphQLObjectType) and not t.name.startswith("__"):
            for name, field in t.fields.items():
                if field.resolve is not None or field.subscribe is not None:
                    found[(t.name, name)] = (field.resolve, field.subscribe)
    return found


def _restore(schema: GraphQLSchema, bound: Resolvers) -> None:
    for (type_name, name), (resolve, subscribe) in bound.items():
        t = schema.type_map[type_name]
        if isinstance(t, GraphQLObjectType):
            field = t.fields[name]
            field.resolve = resolve or field.resolve
            field.subscribe = subscribe or field.subscribe


FALLBACK = "kk.fallback"


def _keep_fallbacks(
    schema: GraphQLSchema, bound: Resolvers, mock: Callable[[GraphQLSchema], None]
) -> None:
    """Let the mock resolve every field, bound ones included, and keep its resolver of each
    bound field in `field.extensions[FALLBACK]`: a handler may hand it the parents it does
    not own (objects the mocks made)."""
    fields = []
    for type_name, name in bound:
        t = schema.type_map[type_name]
        if isinstance(t, GraphQLObjectType):
            fields.append(t.fields[name])
            t.fields[name].resolve = None
    mock(schema)
    for field in fields:
        field.extensions = {**(field.extensions or {}), FALLBACK: field.resolve}


ROOTS = ("Query", "Mutation", "Subscription")


def _not_implemented(key: str) -> NotImplementedOperation:
    return NotImplementedOperation(f"{key} has no resolver bound in this server")


def refuse_unbound_roots(schema: GraphQLSchema) -> list[str]:
    """Without mocks (production), a root field no bindable resolves answers 501
    NOT_IMPLEMENTED, as an unbound REST operation does, instead of a null that breaks a
    non-null type (a 500). Returns the fields it refused."""
    refused = []
    for type_name in ROOTS:
        t = schema.type_map.get(type_name)
        if not isinstance(t, GraphQLObjectType):
            continue
        subscription = type_name == "Subscription"
        for name, field in t.fields.items():
            if (field.subscribe if subscription else field.resolve) is not None:
                continue
            key = f"{type_name}.{name}"

            def refuse(obj: Any, info: Any, _k: str = key, **kw: Any) -> Any:
                raise _not_implemented(_k)  # a subscription: before any event, an `error`

            if subscription:
                field.subscribe = refuse
            else:
                field.resolve = refuse
            refused.append(key)
    return refused


def build_graphql_app(
    sdl: str,
    bindables: list[Any],
    *,
    scopes: dict[str, list[str]],
    authenticator: Authenticator | None,
    mock: Callable[[GraphQLSchema], None] | None,
    context: dict[str, Any] | None = None,
    debug: bool = False,
    title: str = "GraphQL",
    ws_handler: Callable[..., GraphQLTransportWSHandler] = GraphQLTransportWSHandler,
) -> GraphQL:
    schema = make_executable_schema(sdl, *bindables)
    if mock is not None:
        bound = _bound_fields(schema)
        _keep_fallbacks(schema, bound, mock)
        _restore(schema, bound)  # handler bindables win field by field; mocks answer the rest
    else:
        refuse_unbound_roots(schema)
    if authenticator is not None:
        enforce_scopes(schema, scopes)

    async def identify(token: str | None) -> Identity | None:
        if token is None or authenticator is None:
            return None
        return await authenticator.authenticate(token)

    async def context_value(request: Any, data: Any) -> dict[str, Any]:
        identity = request.scope.get("kk.identity")
        if request.scope["type"] == "http" and authenticator is not None:
            # Shared with REST: resolved once per request (the rate limiter may have done it).
            identity = await identify_request(request.scope, authenticator)
            error = request.scope.get("kk.auth_error")
            if error is not None:
                raise error
        return {"request": request, "identity": identity, **(context or {})}

    async def on_connect(websocket: Any, payload: Any) -> None:
        token = None
        if isinstance(payload, dict):
            raw = (
                payload.get("authorization") or payload.get("Authorization") or payload.get("token")
            )
            token = bearer_token(raw) if isinstance(raw, str) and " " in raw else raw
        token = token if isinstance(token, str) else None
        websocket.scope["kk.identity"] = await identify(token)
        websocket.scope["kk.token"] = token  # re-checked on every message (server.gqlsockets)

    return GraphQL(
        schema,
        context_value=context_value,
        query_parser=cached_parser,
        query_validator=CachedValidator(),
        error_formatter=format_error,
        debug=debug,
        logger=graphql_log,
        explorer=GraphiQLPage(title),
        http_handler=GraphQLHTTPHandler(),
        websocket_handler=ws_handler(on_connect=on_connect),
    )
