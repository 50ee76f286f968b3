"""The trace of a booking creation, caught by an in-memory span exporter: the server span of
POST /v1/bookings, the database statements under it, and the webhook delivery of its
booking.created event joining the same trace; the access log names the trace."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import orjson
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.domain.context import domain_of
from handlers.domain.delivery import worker_for
from kkapp.config import AppConfig
from kkapp.factory import build
from tests.engine import client
from tests.handlers.conftest import NOW
from tests.handlers.test_bookings import bearer, booking
from tests.handlers.test_webhooks import URL, admin, hook
from tests.server.test_metrics import samples, value

pytestmark = pytest.mark.anyio


def server_span(spans: list[ReadableSpan], method: str, path: str) -> ReadableSpan:
    [found] = [
        s
        for s in spans
        if s.kind == SpanKind.SERVER
        and s.attributes is not None
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == method
        and s.attributes.get("url.path", s.attributes.get("http.target")) == path
    ]
    return found


async def test_a_booking_creation_is_one_trace_of_server_database_and_delivery_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    config = AppConfig(
        "sandbox",
        data_dir=str(tmp_path),
        rate_limits="off",
        access_log=True,
        options={"now": NOW, "tracer_provider": provider},
    )
    built = build(config)
    domain = domain_of(built.runtime.extras)
    received: list[bytes] = []

    async def endpoint(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=204)

    transport = httpx.ASGITransport(app=Route("/hook", endpoint, methods=["POST"]))
    worker = worker_for(domain, built.runtime.table, {"webhook_transport": transport})
    try:
        async with client(built.app) as c:
            made = await c.post("/v1/webhooks", json=hook(), headers=admin(built))
            assert made.status_code == 201, made.text
            exporter.clear()
            with caplog.at_level(logging.INFO, logger="kk.access"):
                created = await c.post(
                    "/v1/bookings", json=booking(), headers=bearer(built, "test_user_123")
                )
            assert created.status_code == 201, created.text
            before = samples((await c.get("/metrics")).text)
            worker.open()
            assert await worker.run_once() >= 1
            after = samples((await c.get("/metrics")).text)
    finally:
        await worker.stop()
        await domain.db.close()

    spans = list(exporter.get_finished_spans())
    root = server_span(spans, "POST", "/v1/bookings")
    trace_id = root.context.trace_id
    in_trace = {s.context.span_id: s for s in spans if s.context.trace_id == trace_id}
    db = [s for s in in_trace.values() if s.instrumentation_scope.name.endswith("sqlalchemy")]
    assert db and all(s.kind == SpanKind.CLIENT for s in db)
    statements = [str(s.attributes and s.attributes.get("db.statement")) for s in db]
    assert any(q.startswith("INSERT INTO bookings") for q in statements), statements

    def descends(span: ReadableSpan) -> bool:
        while span.parent is not None:
            if span.parent.span_id == root.context.span_id:
                return True
            span = in_trace[span.parent.span_id]
        return False

    assert all(descends(s) for s in db)
    [delivery] = [
        s
        for s in spans
        if s.name == "webhook booking.created" and s.attributes and s.attributes["url.full"] == URL
    ]
    assert delivery.context.trace_id == trace_id and delivery.parent is not None
    assert delivery.parent.span_id == root.context.span_id
    assert (
        delivery.attributes is not None and delivery.attributes["http.response.status_code"] == 204
    )
    assert received and orjson.loads(received[0])["type"] == "booking.created"
    [line] = [
        orjson.loads(r.getMessage()) for r in caplog.records if "/v1/bookings" in r.getMessage()
    ]
    assert line["trace_id"] == format(trace_id, "032x")
    # the same delivery, counted
    done = dict(event="booking.created", outcome="succeeded")
    assert (
        value(after, "kk_webhook_deliveries_total", **done)
        - value(before, "kk_webhook_deliveries_total", **done)
        >= 1
    )
    assert value(after, "kk_outbox_lag_seconds") == 0  # nothing left waiting
