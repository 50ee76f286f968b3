"""pytest-benchmark: one validated request through the whole pipeline, in-process.

Run: `make bench` (or `pytest bench --benchmark-enable`). In `make test` it runs once as a
smoke check (benchmarks disabled): speed targets live here and in RESULTS.md, never in tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response
from starlette.routing import Route, Router

from bench.pipeline import SEARCH, batch, scope, search_app

BATCH = 500


@pytest.fixture(scope="module")
def app() -> Any:
    return search_app()


def test_validated_get_with_three_query_parameters(benchmark: Any, app: Any) -> None:
    run = batch(app, lambda: scope("/v1/practitioners", SEARCH), BATCH)
    per_request = benchmark.pedantic(run, rounds=15, warmup_rounds=2)
    benchmark.extra_info["us_per_request"] = round(per_request * 1e6, 2)
    benchmark.extra_info["batch"] = BATCH


def test_bare_starlette_route_for_reference(benchmark: Any) -> None:
    body = b'{"data": []}'

    async def endpoint(request: Any) -> Response:
        return Response(body, media_type="application/json")

    bare = Router([Route("/v1/practitioners", endpoint)])
    run = batch(bare, lambda: scope("/v1/practitioners", SEARCH), BATCH)
    per_request = benchmark.pedantic(run, rounds=15, warmup_rounds=2)
    benchmark.extra_info["us_per_request"] = round(per_request * 1e6, 2)
