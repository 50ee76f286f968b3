"""Errors that belong to no operation (no route: 404, an undeclared method: 405, a crash: 500)
are written in the spec's own error format: RFC 9457 problem details for a foreign spec that
names none, with nothing of Klear Karma in them; JSON:API where the spec says
`x-error-format: jsonapi` (the flagship)."""

from __future__ import annotations

from typing import Any

import pytest

from server.binding import OperationGroup
from server.ports import OperationRequest
from server.responses import Reply
from tests.engine import client, engine_app

pytestmark = pytest.mark.anyio
orders = OperationGroup("default")  # the fixture's untagged operations


@orders.operation("getOrder")
async def get_order(request: OperationRequest[Any, Any]) -> Reply:
    raise RuntimeError("the order store is down")


CALLS = [
    ("GET", "/nowhere/at/all", 404),
    ("DELETE", "/api/order/7", 405),
    ("GET", "/api/order/7", 500),
]


@pytest.mark.parametrize(("method", "path", "status"), CALLS)
async def test_a_foreign_spec_gets_problem_details_without_klear_karma(
    method: str, path: str, status: int
) -> None:
    app, _ = engine_app("anyspec", mode="sandbox", groups=[orders])
    async with client(app) as c:
        r = await c.request(method, path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["type"]) == (status, "about:blank")
    assert body["title"] and body["detail"]
    assert "klearkarma" not in r.text.lower() and "klear karma" not in r.text.lower()
    assert "order store" not in r.text
    if status == 405:
        assert r.headers["allow"] == "GET"


async def test_a_spec_choosing_jsonapi_keeps_its_error_document() -> None:
    app, _ = engine_app("minimal31", mode="sandbox")
    async with client(app) as c:
        r = await c.get("/nowhere/at/all")
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
