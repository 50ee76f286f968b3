"""pytest-benchmark: list answers of the mock engine, in-process (see bench/pipeline.py).

- static: `Prefer: dynamic=false`, the spec's example serialized once at startup;
- store: a page of the sandbox store (filtered, paged; repeated pages come from a per-version
  cache of serialized answers, so a store without writes costs a dict lookup);
- store, written to: the same page right after a write, so nothing is cached;
- POST: a booking of a new slot with 1,500 bookings stored (the double-booking check and the
  list order are kept incrementally, so a create costs the same whatever the store size);
- dynamic: `Prefer: dynamic=true`, 20 practitioners generated from the schema for a new
  request; the same request again is answered from a cache (it would get the same bytes).

Run: `pytest bench/test_mocks.py --benchmark-enable`. Targets and results: bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from bench.pipeline import SEARCH, batch, scope
from bench.servers import ROOT
from kkapp.config import AppConfig
from kkapp.factory import Built, build
from mocks.engine import RESET_PATH

BATCH = 200
CPU = time.thread_time  # CPU time of this thread: other processes on the machine do not count
PAGE = b"limit=20&offset=0"


@pytest.fixture(scope="module")
def built() -> Built:
    return build(AppConfig("mock", validate_responses=False, access_log=False, cors=False))


@pytest.fixture(scope="module")
def app(built: Built) -> Any:
    return built.app


def measure(benchmark: Any, run: Callable[[], float], batch_size: int) -> None:
    per_request = benchmark.pedantic(run, rounds=10, warmup_rounds=1)
    benchmark.extra_info["cpu_us_per_request"] = round(per_request * 1e6, 2)
    benchmark.extra_info["batch"] = batch_size


def test_static_list(benchmark: Any, app: Any) -> None:
    prefer = [(b"prefer", b"dynamic=false")]
    measure(
        benchmark, batch(app, lambda: scope("/v1/practitioners", PAGE, prefer), BATCH, CPU), BATCH
    )


def test_store_list_filtered_and_paged(benchmark: Any, app: Any) -> None:
    measure(benchmark, batch(app, lambda: scope("/v1/practitioners", SEARCH), BATCH, CPU), BATCH)


def test_store_list_after_a_write(benchmark: Any, built: Built) -> None:
    app, engine = built.app, engine_of(built)
    res = engine.catalog.resources["Practitioner"]
    record = engine.store.get(res.key, "prac_123")

    def write_then_scope() -> dict[str, Any]:
        engine.store.put(res.key, "prac_123", record)  # any write invalidates cached pages
        return scope("/v1/practitioners", SEARCH)

    measure(benchmark, batch(app, write_then_scope, BATCH, CPU), BATCH)


def test_post_booking_with_1500_stored(benchmark: Any, app: Any) -> None:
    template = (ROOT / "bench/wrk/bodies/booking_valid.json").read_bytes()
    slots = itertools.count(1)
    headers = [(b"content-type", b"application/json"), (b"authorization", b"Bearer bench")]

    async def post(statuses: list[int]) -> None:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1893456000 + 60 * next(slots)))
        body = template.replace(b"2030-01-01T00:00:00Z", at.encode())

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app({**scope("/v1/bookings", b"", headers), "method": "POST"}, receive, send)

    def run(n: int) -> float:
        statuses: list[int] = []

        async def posts() -> float:
            started = CPU()
            for _ in range(n):
                await post(statuses)
            return (CPU() - started) / n

        per_request = asyncio.run(posts())
        if set(statuses) != {201}:
            raise RuntimeError(f"unexpected statuses {sorted(set(statuses))}")
        return per_request

    run(1500)
    measure(benchmark, lambda: run(BATCH), BATCH)


def test_dynamic_list(benchmark: Any, app: Any) -> None:
    prefer = [(b"prefer", b"dynamic=true")]
    counter = itertools.count()

    def fresh() -> dict[str, Any]:  # a new request each time: generated, never cached
        return scope("/v1/practitioners", b"limit=20&offset=%d" % next(counter), prefer)

    measure(benchmark, batch(app, fresh, 20, CPU), 20)


def test_dynamic_list_repeated(benchmark: Any, app: Any) -> None:
    prefer = [(b"prefer", b"dynamic=true")]
    measure(
        benchmark, batch(app, lambda: scope("/v1/practitioners", PAGE, prefer), BATCH, CPU), BATCH
    )


def engine_of(built: Built) -> Any:
    """The mock engine of an app: the owner of its sandbox-reset endpoint."""
    for route in built.parts.routes:
        if getattr(route, "path", None) == RESET_PATH:
            return route.endpoint.__self__  # type: ignore[attr-defined]
    raise LookupError("no mock engine in this app")
