"""OpenTelemetry traces, on when an OTLP endpoint is configured (or a tracer provider given).

- every HTTP and WebSocket request is a server span (opentelemetry-instrumentation-asgi);
- database work is a client span per statement (opentelemetry-instrumentation-sqlalchemy,
  attached to each engine the app's handlers open: `instrument_engine`);
- each webhook delivery attempt is a span (`delivery_span`) under the request that caused
  the event when this process still remembers it (`remember`), else a trace of its own;
- the JSON access log carries `trace_id` and `span_id` (`current_ids`).

The exporter is configured the standard way, by OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_SERVICE_NAME and the other OTEL_* variables.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from server.webhook_targets import redact

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACER = "kk"
# Request contexts of recent events, so a delivery joins the trace of the request that
# caused it; bounded, oldest forgotten first.
REMEMBERED = 10_000
_contexts: OrderedDict[str, otel_context.Context] = OrderedDict()
_provider: Any = None


def wanted(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    if str(env.get("OTEL_SDK_DISABLED", "")).lower() == "true":
        return False
    return options.get("tracer_provider") is not None or any(env.get(k) for k in ENDPOINT_ENVS)


def setup(extras: dict[str, Any], service: str) -> Any:
    """The app's tracer provider (the one given in `extras`, else an OTLP/HTTP exporting one);
    puts `instrument_engine` into `extras` for the handlers' database."""
    global _provider
    provider = extras.get("tracer_provider")
    if provider is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or service
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        extras["tracer_provider"] = provider
    _provider = provider
    extras["instrument_engine"] = lambda engine: instrument_engine(engine, provider)
    return provider


def instrument_engine(engine: Any, provider: Any) -> None:
    """A span per statement of `engine` (an Engine, or the sync_engine of an AsyncEngine).

    EngineTracer is what SQLAlchemyInstrumentor().instrument(engine=...) attaches; used
    directly because the instrumentor is a per-process singleton that instruments once,
    while each app (and test) has its own engines and provider.
    """
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    sync = getattr(engine, "sync_engine", engine)
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = NoOpMeter("kk").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, sync, usage)  # type: ignore[no-untyped-call]


def instrument_app(app: Any, provider: Any) -> Any:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, tracer_provider=provider, exclude_spans=["send"])


def current_ids() -> dict[str, str]:
    """`trace_id` and `span_id` of the current span, in W3C hex; {} outside any trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return {}
    return {"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}


def remember(event_id: str) -> None:
    """Note the current trace context as the cause of `event_id` (no-op outside a trace)."""
    if _provider is None or not trace.get_current_span().get_span_context().is_valid:
        return
    _contexts[event_id] = otel_context.get_current()
    while len(_contexts) > REMEMBERED:
        _contexts.popitem(last=False)


@contextlib.contextmanager
def delivery_span(event_id: str, event_type: str, url: str, attempt: int) -> Iterator[Span]:
    """The span of one webhook delivery attempt (a no-op span when tracing is off)."""
    provider = _provider or trace.get_tracer_provider()
    tracer = provider.get_tracer(TRACER)
    with tracer.start_as_current_span(
        f"webhook {event_type}",
        context=_contexts.get(event_id),
        kind=SpanKind.CLIENT,
        attributes={
            "messaging.message.id": event_id,
            "kk.webhook.event": event_type,
            "kk.webhook.attempt": attempt,
            "url.full": redact(url),  # no credentials of the target's URL in the trace
        },
    ) as span:
        yield span


def record_outcome(span: Span, outcome: str, response_status: int | None) -> None:
    """What the attempt came to (server.webhooks.Outcome): the target's status, and an
    error status for an attempt that did not succeed (failed, refused)."""
    span.set_attribute("kk.webhook.outcome", outcome)
    if response_status is not None:
        span.set_attribute("http.response.status_code", response_status)
    if outcome != "succeeded":
        span.set_status(StatusCode.ERROR, outcome)
