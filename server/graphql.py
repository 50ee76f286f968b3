"""GraphQL at /graphql with ariadne: schema-first, parse/validation cached per document text.

Root fields declare scopes with `@requiresScopes(scopes: [...])` in the SDL (generated into a
table); the same identity hook as REST checks them. Errors carry JSON:API codes in
`extensions.code`.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler, GraphQLTransportWSHandler
from ariadne.explorer import ExplorerHttp405
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, default_field_resolver
from starlette.responses import Response

from kkcore.errors import ApiError, NotImplementedOperation
from server.bodies import JSON_LIMIT
from server.config import RateLimiter
from server.graphiql import GraphiQLPage
from server.graphql_documents import CachedParser, CachedValidator
from server.graphql_execution import LeanExecution
from server.graphql_http import AnswerCache, BodyLimit
from server.graphql_limits import QueryLimits, cost_refusal
from server.graphql_rates import Refusals, RootRates
from server.graphql_sdl import executable_schema
from server.identity import Authenticator, Identity, authorize, bearer_token
from server.identity import identify as identify_request


class OrjsonHTTPHandler(GraphQLHTTPHandler):
    """ariadne's HTTP handler with the answer serialized by orjson (the stdlib encoder cost
    ~0.4 ms of a 20-practitioner page); anything orjson cannot encode goes the stdlib way."""

    async def create_json_response(
        self, request: Any, result: dict[str, Any], success: bool
    ) -> Any:
        status = 200 if success or result.get("data") is not None else 400
        try:
            body = orjson.dumps(result)
        except TypeError:
            return await super().create_json_response(request, result, success)
        return Response(body, status_code=status, media_type="application/json")


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
    needed = frozenset(scopes)

    def check(identity: Identity | None) -> None:
        # A field resolves once per object of a page: the common case is one set test;
        # `authorize` builds the refusal (and its WWW-Authenticate) only when one is due.
        if identity is None or not identity.scopes.issuperset(needed):
            authorize(identity, requirement)

    if inspect.isasyncgenfunction(resolver):

        async def guarded_gen(obj: Any, info: Any, **kwargs: Any) -> Any:
            check(info.context.get("identity"))
            async for item in resolver(obj, info, **kwargs):
                yield item

        return guarded_gen

    def guarded(obj: Any, info: Any, **kwargs: Any) -> Any:
        check(info.context.get("identity"))
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


@dataclass
class Bounds:
    """What a client may ask of /graphql (README: "GraphQL limits")."""

    limits: QueryLimits = dataclasses.field(default_factory=QueryLimits)
    # Introspection and the GraphiQL console (off in `kk serve` unless enabled).
    introspection: bool = True
    body_limit: int = JSON_LIMIT
    # Each root field spends the rate-limit class of the REST operation it mirrors.
    rate_limiter: RateLimiter | None = None
    rate_classes: dict[str, str | None] = dataclasses.field(default_factory=dict)
    # A data version every write bumps, when the store answers every field (`kk mock`): the
    # same query then gets the same answer bytes until the next write.
    data_version: Callable[[], Hashable | Awaitable[Hashable]] | None = None
    # The clock that kept answers' `valid_until` moments are judged by (handlers' answers).
    answer_clock: Callable[[], datetime] | None = None


def _refusable(resolver: Callable[..., Any] | None) -> Callable[..., Any]:
    """A root field's resolver that answers the field's rate-limit refusal, if any (the root
    value is then the operation's `Refusals`; the resolver itself still gets None)."""
    inner = resolver or default_field_resolver

    def resolve(obj: Any, info: Any, **kwargs: Any) -> Any:
        if type(obj) is Refusals:
            error = obj.get(info.path.key)
            if error is not None:
                raise error
            obj = None
        return inner(obj, info, **kwargs)

    return resolve


def spend_rate_classes(schema: GraphQLSchema) -> None:
    for type_name in ("Query", "Mutation"):
        t = schema.type_map.get(type_name)
        if isinstance(t, GraphQLObjectType):
            for f in t.fields.values():
                f.resolve = _refusable(f.resolve)


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
    bounds: Bounds | None = None,
) -> Any:
    """The /graphql ASGI app (HTTP and graphql-transport-ws), bounded by `bounds`."""
    bounds = bounds or Bounds()
    schema = executable_schema(sdl, *bindables)
    if mock is not None:
        bound = _bound_fields(schema)
        _keep_fallbacks(schema, bound, mock)
        _restore(schema, bound)  # handler bindables win field by field; mocks answer the rest
    else:
        refuse_unbound_roots(schema)
    if authenticator is not None:
        enforce_scopes(schema, scopes)
    rates = None
    if bounds.rate_limiter is not None:
        spend_rate_classes(schema)
        rates = RootRates(bounds.rate_limiter, bounds.rate_classes)
    validator = CachedValidator(limits=bounds.limits)
    parser = CachedParser(bounds.limits)

    async def root_value(context: Any, name: str | None, variables: Any, document: Any) -> Any:
        """After validation, before execution: the cost with the request's page sizes, then
        the rate-limit classes of the root fields."""
        found = validator.measured(document)
        error = found and cost_refusal(found, variables, bounds.limits)
        if error:
            raise error
        if rates is None:
            return None
        scope = (
            getattr(context.get("request"), "scope", None) if isinstance(context, dict) else None
        )
        if scope is not None and SPENT in scope:  # spent by the kept-answer check already
            return scope[SPENT]
        return await rates(context, name, variables, document)

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

    app = GraphQL(
        schema,
        context_value=context_value,
        root_value=root_value,
        query_parser=parser,
        query_validator=validator,
        error_formatter=format_error,
        debug=debug,
        logger=graphql_log,
        introspection=bounds.introspection,
        # the console goes with introspection (off in kk serve unless enabled)
        explorer=GraphiQLPage(title) if bounds.introspection else ExplorerHttp405(),
        http_handler=OrjsonHTTPHandler(),
        execution_context_class=LeanExecution,
        websocket_handler=ws_handler(on_connect=on_connect),
    )
    cache = _answer_cache(bounds, parser, authenticator, rates)
    return BodyLimit(app, bounds.body_limit, cache)


# The scope key of a request's rate-limit refusals, when its classes were spent before the
# app ran (a kept answer that could not be sent: a field was over its limit).
SPENT = "kk.graphql_spent"


def _spender(rates: RootRates, parser: CachedParser) -> Callable[[Any, bytes], Awaitable[bool]]:
    async def spend(scope: Any, body: bytes) -> bool:
        data = orjson.loads(body)  # (a kept answer's body: a query that parsed before)
        document = parser.parse(data["query"])
        context = {"request": _Scoped(scope), "identity": scope.get("kk.identity")}
        refused = await rates(context, data.get("operationName"), None, document)
        scope[SPENT] = refused
        return refused is None

    return spend


class _Scoped:
    __slots__ = ("scope",)

    def __init__(self, scope: Any) -> None:
        self.scope = scope


def _answer_cache(
    bounds: Bounds,
    parser: CachedParser,
    authenticator: Authenticator | None,
    rates: RootRates | None,
) -> AnswerCache | None:
    """Kept query answers, when the data has a version; with rate limits, a kept answer
    spends its root fields' classes as an executed query does (server.graphql_rates)."""
    if bounds.data_version is None:
        return None

    async def credentials_ok(scope: Any) -> bool:
        if authenticator is not None:
            await identify_request(scope, authenticator)  # kept in the scope for the request
        return scope.get("kk.auth_error") is None

    return AnswerCache(
        bounds.data_version,
        parser.parse,
        clock=bounds.answer_clock,
        credentials_ok=credentials_ok if authenticator is not None else None,
        spend=_spender(rates, parser) if rates is not None else None,
    )
