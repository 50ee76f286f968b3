"""Assemble one ASGI app from a table, bound handlers and a fallback (the mock engine)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kkcore.errors import NotImplementedOperation
from kkcore.types import OperationSpec
from server.cors import SpecCors
from server.docs import docs_routes, page_links, route_paths
from server.documented import outside_answer, scoped_answer
from server.middleware import RequestContext
from server.pipeline import StepFactory, compile_operation
from server.ports import ErrorRenderer, Handler, Operation, OperationRequest
from server.responses import Reply
from server.routing import OperationRouter, build_router
from server.sandboxguard import SandboxGuard

LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
EXPOSED_HEADERS = [
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Window",
    "RateLimit",
    "RateLimit-Policy",
    "Deprecation",
    "Sunset",
    "Link",
    "Content-Language",
    "Retry-After",
    "Location",
]


class Fallback(Protocol):
    """Answers operations no handler is bound to (the mock engine implements it)."""

    def handler_for(self, spec: OperationSpec) -> Handler: ...


def not_implemented(spec: OperationSpec) -> Handler:
    async def handler(request: OperationRequest[Any, Any]) -> Reply:
        raise NotImplementedOperation(f"{spec['operation_id']} has no handler bound in this server")

    return handler


def choose_handlers(
    operations: Mapping[str, OperationSpec],
    bound: Mapping[str, tuple[Handler, str]],
    fallback: Fallback | None,
    mode: str,
) -> dict[str, tuple[Handler, str]]:
    """operationId -> (handler, where it comes from): handler, mock or not-implemented."""
    chosen: dict[str, tuple[Handler, str]] = {}
    for op_id, spec in operations.items():
        if mode != "mock" and op_id in bound:
            chosen[op_id] = bound[op_id]
        elif mode != "strict" and fallback is not None:
            chosen[op_id] = (fallback.handler_for(spec), "mock")
        else:
            chosen[op_id] = (not_implemented(spec), "501")
    return chosen


@dataclass
class AppParts:
    """What `create_app` puts together; also what `kk routes` prints."""

    operations: dict[str, Operation]
    routes: list[BaseRoute] = field(default_factory=list)
    startup: list[Callable[[], Any]] = field(default_factory=list)
    shutdown: list[Callable[[], Any]] = field(default_factory=list)
    # Run after the sandbox's own reset (`POST /__sandbox/reset`), e.g. handlers reseeding.
    resets: list[Callable[[], Any]] = field(default_factory=list)
    # Load the sandbox's fixture data on request (`kk seed`); each returns the records added.
    seeds: list[Callable[[], Awaitable[int]]] = field(default_factory=list)


def compile_operations(
    runtime: Any,
    handlers: Mapping[str, tuple[Handler, str]],
    pipeline: list[StepFactory] | None = None,
) -> dict[str, Operation]:
    ops: dict[str, Operation] = {}
    for op_id, spec in runtime.table["operations"].items():
        handler, source = handlers[op_id]
        ops[op_id] = compile_operation(Operation(spec, handler, source), runtime, pipeline)
    return ops


class CorsGate:
    """Only requests that carry an Origin (browsers) pay for the CORS middleware."""

    def __init__(self, app: Any, cors: Any) -> None:
        self.app, self.cors = app, cors

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and any(k == b"origin" for k, _ in scope["headers"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def renderer_at(router: OperationRouter) -> Callable[[Any], ErrorRenderer | None]:
    """The error renderer of the operation a request is for, None for no operation."""

    def find(scope: Any) -> ErrorRenderer | None:
        found = router.match(scope["path"])
        method = found[0].methods.get(scope["method"]) if found is not None else None
        return method[0].render_error if method is not None else None

    return find


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def create_app(runtime: Any, parts: AppParts) -> Any:
    """The ASGI app: request context -> CORS -> rate limits -> router (operations, docs...)."""
    answer = outside_answer(runtime.table)  # 404, 405 and 500 in the spec's error format
    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    openapi = runtime.spec_files.get("openapi")
    if openapi is not None:
        links = page_links(route_paths(parts.routes))
        routes += docs_routes(
            openapi, runtime.table["title"], links, ui=runtime.docs, answer=answer
        )
    routes += parts.routes

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        for hook in parts.startup:
            result = hook()
            if hasattr(result, "__await__"):
                await result
        try:
            yield
        finally:
            for hook in reversed(parts.shutdown):
                result = hook()
                if hasattr(result, "__await__"):
                    await result

    if runtime.metrics:
        from server.metrics import metrics_endpoint, worker_exit

        if runtime.extras.get("metrics_route", True):  # not with `kk serve --metrics-port`
            routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
        parts.shutdown.append(worker_exit)
    router = build_router(routes, answer)
    router.lifespan_context = lifespan
    operations = OperationRouter(parts.operations.values(), router, answer)
    # errors raised around an operation (limits, guards, crashes): as it documents them
    scoped = scoped_answer(renderer_at(operations), answer)
    app: Any = operations
    if runtime.mode != "strict":  # only the sandbox and the mock have control endpoints
        app = SandboxGuard(app, runtime.authenticator, runtime.rate_limiter, scoped)
    if runtime.rate_limiter is not None:
        from server.auth.limits import RateLimitMiddleware  # `limits` only when limits are on

        app = RateLimitMiddleware(app, runtime.rate_limiter, runtime.authenticator, scoped)
    if runtime.cors_origins or runtime.cors_origin_regex:
        app = CorsGate(
            app,
            SpecCors(
                app,
                scoped,
                allow_origins=runtime.cors_origins,
                allow_origin_regex=runtime.cors_origin_regex,
                allow_methods=["*"],
                allow_headers=["*"],
                allow_credentials=True,
                expose_headers=EXPOSED_HEADERS,
            ),
        )
    observe = None
    if runtime.metrics:
        from server.metrics import MetricsMiddleware

        app = metrics = MetricsMiddleware(
            app,
            [(o.spec["method"], op_id) for op_id, o in parts.operations.items()],
            operations.locate,
            timed_outside=True,  # RequestContext times HTTP requests for it
        )
        observe = metrics.observe
    app = RequestContext(
        app,
        log_requests=runtime.access_log,
        trace_ids=runtime.tracing,
        answer=scoped,
        observe=observe,
    )
    if runtime.tracing:
        from server.tracing import instrument_app

        app = instrument_app(app, runtime.extras.get("tracer_provider"))
    if runtime.trusted_proxies:  # outermost: limits and logs see the client behind the proxy
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app = ProxyHeadersMiddleware(app, trusted_hosts=runtime.trusted_proxies)
    return app
