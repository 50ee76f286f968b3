"""Traces are on only when an OTLP endpoint is configured (or a tracer provider is given)."""

from __future__ import annotations

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from server import tracing
from tests.engine import FIXTURES

PETSTORE = str(FIXTURES / "petstore31" / "openapi.yaml")


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_follows_the_standard_otel_variables(env: dict[str, str], on: bool) -> None:
    assert tracing.wanted({}, env) is on


def test_an_app_without_an_endpoint_has_no_tracing_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*tracing.ENDPOINT_ENVS, "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    built = build(AppConfig("mock", spec=PETSTORE, data_dir="/nonexistent"))
    assert not built.runtime.tracing and "tracer_provider" not in built.runtime.extras
    assert type(built.app).__name__ == "RequestContext"


def test_a_configured_endpoint_exports_over_otlp_and_flushes_at_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    built = build(AppConfig("mock", spec=PETSTORE, data_dir="/nonexistent"))
    provider = built.runtime.extras["tracer_provider"]
    assert built.runtime.tracing and type(built.app).__name__ == "OpenTelemetryMiddleware"
    assert provider.shutdown in built.parts.shutdown
    provider.shutdown()
