"""/metrics in the Prometheus text format, read back with prometheus-client's own parser:
requests by operation and status, latency histograms, rate-limit hits, WebSocket connections;
and several worker processes summed through the multiprocess directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import build
from tests.engine import FIXTURES, ROOT, client

pytestmark = pytest.mark.anyio
PETSTORE = str(FIXTURES / "petstore31" / "openapi.yaml")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """(sample name, sorted labels) -> value of every sample of an exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def petstore(**config: Any) -> Any:
    return build(AppConfig("mock", spec=PETSTORE, data_dir="/nonexistent", **config)).app


def strict(tmp: Path, **config: Any) -> Any:
    """`kk serve`'s app (flagship; not started: routing needs no database)."""
    return build(AppConfig("strict", data_dir=str(tmp), **config)).app


async def test_requests_are_counted_and_timed_by_operation_method_and_status() -> None:
    app = petstore()
    async with client(app) as c:
        before = samples((await c.get("/metrics")).text)
        for _ in range(3):
            assert (await c.get("/v1/pets")).status_code == 200
        assert (await c.get("/v1/pets/not-a-number")).status_code in (400, 404, 422)
        assert (await c.get("/no/such/path")).status_code == 404
        after = samples((await c.get("/metrics")).text)
    listed = dict(operation="listPets", method="GET", status="200")
    assert (
        value(after, "kk_http_requests_total", **listed)
        - value(before, "kk_http_requests_total", **listed)
        == 3
    )
    timed = dict(operation="listPets", method="GET")
    assert (
        value(after, "kk_http_request_duration_seconds_count", **timed)
        - value(before, "kk_http_request_duration_seconds_count", **timed)
        == 3
    )
    # every bucket at or above the largest latency holds all three; +Inf by definition
    assert value(after, "kk_http_request_duration_seconds_bucket", le="+Inf", **timed) >= 3
    unmatched = dict(operation="unmatched", method="other", status="404")
    assert value(after, "kk_http_requests_total", **unmatched) >= 1
    # the label children of every operation exist from start-up on
    unused = dict(operation="deletePet", method="DELETE")
    assert ("kk_http_request_duration_seconds_count", tuple(sorted(unused.items()))) in after


async def test_metrics_is_served_in_the_text_format_and_off_in_strict_mode_by_default(
    tmp_path: Path,
) -> None:
    async with client(petstore()) as c:
        shown = await c.get("/metrics")
    async with client(strict(tmp_path)) as c:
        hidden = await c.get("/metrics")
    async with client(petstore(metrics=False)) as c:
        asked = await c.get("/metrics")
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/plain")
    assert "kk_http_requests" in {f.name for f in text_string_to_metric_families(shown.text)}
    assert hidden.status_code == asked.status_code == 404


async def test_requests_refused_by_a_rate_limit_are_counted_as_hits() -> None:
    app = petstore(
        rate_limits="on",
        limits={"tiers": {"anonymous": {"per_hour": 2}}},
    )
    async with client(app) as c:
        before = samples((await c.get("/metrics")).text)
        codes = [(await c.get("/v1/pets")).status_code for _ in range(4)]
        after = samples((await c.get("/metrics")).text)
    assert codes.count(429) == 2
    assert (
        value(after, "kk_rate_limit_hits_total", operation="listPets")
        - value(before, "kk_rate_limit_hits_total", operation="listPets")
        == 2
    )


def test_open_websocket_connections_are_a_gauge_that_falls_when_they_close() -> None:
    app = build(AppConfig("mock", data_dir="/nonexistent")).app

    def gauge(tc: TestClient) -> float:
        return value(samples(tc.get("/metrics").text), "kk_websocket_connections", path="/ws")

    with TestClient(app) as tc:
        start = gauge(tc)
        with tc.websocket_connect("/ws"), tc.websocket_connect("/ws"):
            during = gauge(tc)
        after = gauge(tc)
    assert (during - start, after - start) == (2, 0)


WORKER = textwrap.dedent(
    """
    import asyncio, sys
    import httpx
    from kkapp.config import AppConfig
    from kkapp.factory import build

    async def main() -> None:
        app = build(AppConfig("mock", spec=sys.argv[1], data_dir="/nonexistent")).app
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for _ in range(int(sys.argv[2])):
                assert (await c.get("/v1/pets")).status_code == 200
            if sys.argv[3] == "show":
                sys.stdout.write((await c.get("/metrics")).text)

    asyncio.run(main())
    """
)


def test_two_worker_processes_sharing_the_multiprocess_directory_are_summed(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def worker(requests: int, show: bool) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, PETSTORE, str(requests), "show" if show else "quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    worker(3, show=False)
    text = worker(4, show=True)
    found = samples(text)
    listed = dict(operation="listPets", method="GET")
    assert value(found, "kk_http_requests_total", status="200", **listed) == 7
    assert value(found, "kk_http_request_duration_seconds_count", **listed) == 7
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file set per process


async def test_a_crash_is_counted_as_a_500_once() -> None:
    # RequestContext times and counts for MetricsMiddleware (one send wrapper, not two): the
    # crash it turns into a 500 is counted as that 500, exactly once
    from prometheus_client import generate_latest

    from server.metrics import REGISTRY, MetricsMiddleware
    from server.middleware import RequestContext

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    metrics = MetricsMiddleware(broken, [], timed_outside=True)
    app = RequestContext(metrics, log_requests=False, observe=metrics.observe)
    crashed = dict(operation="unmatched", method="other", status="500")
    before = value(samples(generate_latest(REGISTRY).decode()), "kk_http_requests_total", **crashed)
    async with client(app) as c:
        assert (await c.get("/boom")).status_code == 500
    after = value(samples(generate_latest(REGISTRY).decode()), "kk_http_requests_total", **crashed)
    assert after - before == 1
