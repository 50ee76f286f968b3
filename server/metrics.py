"""Prometheus metrics: what every request, webhook delivery and WebSocket connection did.

The metric objects are module-level (prometheus-client's model), registered on REGISTRY, not
on the library's global default registry. With several workers (`kk serve --workers N`)
PROMETHEUS_MULTIPROC_DIR is set before any worker starts, so prometheus-client keeps the
values in files there and `/metrics` of any worker sums all of them (`exposition`).

The hot path pays a few dictionary look-ups and one histogram observation: the label
children of every operation are bound at start-up (`MetricsMiddleware.__init__`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from starlette.requests import Request
from starlette.responses import Response

from kkcore.types import Receive, Scope, Send

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REGISTRY = CollectorRegistry(auto_describe=True)
# An API answers in milliseconds: finer buckets at the low end than the library's default.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "kk_http_requests",
    "HTTP requests answered, by operation, method and status.",
    ["operation", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "kk_http_request_duration_seconds",
    "Time from the request's arrival to its last response byte, by operation.",
    ["operation", "method"],
    buckets=BUCKETS,
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "kk_rate_limit_hits",
    "Requests refused with 429 by a rate limit, by operation.",
    ["operation"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "kk_webhook_deliveries",
    "Webhook delivery attempts, by event type and outcome (succeeded, failed).",
    ["event", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_RETRIES = Counter(
    "kk_webhook_retries",
    "Webhook delivery attempts after the first one, by event type.",
    ["event"],
    registry=REGISTRY,
)
OUTBOX_LAG = Gauge(
    "kk_outbox_lag_seconds",
    "Age of the oldest outbox event not yet dispatched to webhooks (0 when none waits).",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
WEBSOCKETS = Gauge(
    "kk_websocket_connections",
    "Open WebSocket connections, by path.",
    ["path"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)


def webhook_attempt(event_type: str, attempt: int, ok: bool) -> None:
    """Count one delivery attempt (called by whoever posts webhooks)."""
    WEBHOOK_DELIVERIES.labels(event_type, "succeeded" if ok else "failed").inc()
    if attempt > 1:
        WEBHOOK_RETRIES.labels(event_type).inc()


def outbox_lag(seconds: float) -> None:
    OUTBOX_LAG.set(max(0.0, seconds))


def exposition() -> bytes:
    """The text format of every metric: this process's, or all workers' in multiprocess mode."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    return Response(exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def prepare_multiprocess(data_dir: Path) -> Path:
    """A fresh PROMETHEUS_MULTIPROC_DIR under `data_dir` for the workers about to start (the
    files of an earlier run would be summed in otherwise)."""
    path = data_dir / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def serve_separately(host: str, port: int) -> None:
    """/metrics on its own port, from this (the supervising) process, in a thread."""
    path = os.environ.get(MULTIPROC_ENV)
    registry = REGISTRY
    if path:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    start_http_server(port, host, registry=registry)


def worker_exit() -> None:
    """Drop this process's live gauges from the multiprocess files (on worker shutdown)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Bound:
    """The label children of one operation, bound once."""

    __slots__ = ("name", "method", "latency", "by_status", "limited")

    def __init__(self, name: str, method: str) -> None:
        self.name, self.method = name, method
        self.latency = LATENCY.labels(name, method)
        self.by_status: dict[int, Any] = {}
        self.limited = RATE_LIMITED.labels(name)

    def observe(self, status: int, seconds: float) -> None:
        self.latency.observe(seconds)
        child = self.by_status.get(status)
        if child is None:  # a status seen for the first time: one child per status, bounded
            child = self.by_status[status] = REQUESTS.labels(self.name, self.method, str(status))
        child.inc()
        if status == 429:
            self.limited.inc()


class MetricsMiddleware:
    """Counts and times every HTTP request; tracks open WebSocket connections.

    With `timed_outside=True` an outer layer that already sees every request's status and
    duration (server.middleware.RequestContext) calls `observe` itself, and HTTP requests
    pass through here without a send wrapper and a clock of their own.

    `operations` are (method, operationId) pairs. The operation router leaves the matched
    path's endpoints in `scope["kk.path"]` (its `operation_id(method)` names the operation),
    so nothing is routed twice; other routes are labelled by
    their route template, unmatched paths as `unmatched`. A request refused before routing
    (the account rate limit's 429) is located with `locate(method, path)`, the router's.
    """

    def __init__(
        self,
        app: Any,
        operations: Iterable[tuple[str, str]],
        locate: Callable[[str, str], str | None] | None = None,
        *,
        timed_outside: bool = False,
    ) -> None:
        self.app = app
        self.locate = locate
        self.timed_outside = timed_outside
        self.bound = {(m, op_id): _Bound(op_id, m) for m, op_id in operations}
        self.others: dict[tuple[str, str], _Bound] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http" or self.timed_outside:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.observe(scope, status, time.perf_counter() - started)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count one HTTP request answered `status` (500 for none) after `seconds`."""
        self._bound(scope, status).observe(status, seconds)

    def _bound(self, scope: Scope, status: int) -> _Bound:
        method = scope["method"]
        path = scope.get("kk.path")
        op_id = path.operation_id(method) if path is not None else None
        if op_id is None and status == 429 and self.locate is not None:
            op_id = self.locate(method, scope["path"])
        if op_id is not None:
            found = self.bound.get((method, op_id))
            if found is not None:
                return found
        route = scope.get("route")
        name = getattr(route, "path", None) or UNMATCHED
        key = (method if name != UNMATCHED else "", name)
        found = self.others.get(key)
        if found is None:  # route templates and methods are finite: bounded
            found = self.others[key] = _Bound(name, key[0] or "other")
        return found

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        gauge = None

        async def send_accept(message: MutableMapping[str, Any]) -> None:
            nonlocal gauge
            if message["type"] == "websocket.accept" and gauge is None:
                route = scope.get("route")
                gauge = WEBSOCKETS.labels(getattr(route, "path", None) or scope["path"])
                gauge.inc()
            await send(message)

        try:
            await self.app(scope, receive, send_accept)
        finally:
            if gauge is not None:
                gauge.dec()
