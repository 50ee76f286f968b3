"""`kk proxy` in front of an upstream that breaks the spec on purpose."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kkcore.loader import load_document
from kkcore.table import build_table
from mocks.engine import MockEngine
from server.proxy import ValidatingProxy
from tests.anyspec.conftest import FIXTURE

pytestmark = pytest.mark.anyio


async def wrong_order(request: Request) -> Response:
    return JSONResponse({"id": "not-an-integer"})  # the spec says integer


async def undocumented(request: Request) -> Response:
    return JSONResponse({"ok": True}, status_code=418)


async def refund(request: Request) -> Response:
    return Response(status_code=201)


UPSTREAM = Starlette(
    routes=[
        Route("/api/order/{order_id}", wrong_order),
        Route("/api/v2/{name}", undocumented),
        Route("/api/order/{order_id}/issue_refund", refund, methods=["POST"]),
    ]
)


def proxy_client(errors: bool = False) -> httpx.AsyncClient:
    app = ValidatingProxy(
        build_table(load_document(FIXTURE)),
        "http://upstream",
        errors=errors,
        transport=httpx.ASGITransport(app=UPSTREAM),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy")


def violations(r: httpx.Response) -> list[dict]:
    return json.loads(r.headers.get("sl-violations", "[]"))


async def test_an_answer_that_breaks_its_schema_is_passed_on_with_its_violations() -> None:
    async with proxy_client() as c:
        r = await c.get("/api/order/7")
    assert r.status_code == 200 and r.json() == {"id": "not-an-integer"}
    found = violations(r)
    assert found[0]["location"][:2] == ["response", "body"] and found[0]["severity"] == "Error"


async def test_an_undocumented_status_is_a_violation() -> None:
    async with proxy_client() as c:
        r = await c.get("/api/v2/shelves")
    assert r.status_code == 418 and violations(r)[0]["location"] == ["response", "status"]


async def test_a_request_that_breaks_the_spec_is_forwarded_and_reported() -> None:
    async with proxy_client() as c:
        r = await c.post("/api/order/7/issue_refund", json={"amount": "three"})
    assert r.status_code == 201
    assert violations(r)[0]["location"][0] == "request"


async def test_a_valid_exchange_has_no_violations() -> None:
    async with proxy_client() as c:
        r = await c.post("/api/order/7/issue_refund", json={"amount": 3})
    assert r.status_code == 201 and "sl-violations" not in r.headers


async def test_with_errors_a_bad_request_is_422_and_a_bad_answer_502() -> None:
    async with proxy_client(errors=True) as c:
        bad_request = await c.post("/api/order/7/issue_refund", json={"amount": "three"})
        bad_answer = await c.get("/api/order/7")
    assert bad_request.status_code == 422
    assert bad_request.headers["content-type"] == "application/problem+json"
    assert bad_answer.status_code == 502 and bad_answer.json()["validation"]


@contextlib.contextmanager
def silent_upstream() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def real_proxy(upstream: str, timeout: float = 5.0) -> httpx.AsyncClient:
    app = ValidatingProxy(build_table(load_document(FIXTURE)), upstream, timeout=timeout)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy")


def assert_problem(r: httpx.Response, status: int) -> None:
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["type"]) == (status, "about:blank") and body["title"]
    assert "klearkarma" not in r.text.lower() and "klear karma" not in r.text.lower()


async def test_an_upstream_that_is_down_is_a_502_problem() -> None:
    async with real_proxy(closed_port()) as c:
        r = await c.get("/api/order/7")
    assert_problem(r, 502)
    assert "sl-violations" not in r.headers  # the request was fine


async def test_an_upstream_that_does_not_answer_in_time_is_a_504_problem() -> None:
    with silent_upstream() as upstream:
        async with real_proxy(upstream, timeout=0.2) as c:
            started = time.perf_counter()
            r = await c.get("/api/order/7")
    assert_problem(r, 504)
    assert time.perf_counter() - started < 3  # bounded by --timeout, not httpx's default


async def test_a_bad_request_to_a_down_upstream_keeps_its_violations() -> None:
    async with real_proxy(closed_port()) as c:
        r = await c.post("/api/order/7/issue_refund", json={"amount": "three"})
    assert_problem(r, 502)
    found = violations(r)
    assert found[0]["location"][:3] == ["request", "body", "amount"]
    assert r.json()["validation"] == found


async def test_with_errors_a_bad_request_gets_the_operations_documented_error() -> None:
    table = build_table(load_document(FIXTURE))
    app = ValidatingProxy(
        table,
        "http://upstream",
        errors=True,
        transport=httpx.ASGITransport(app=UPSTREAM),
        error_answer=MockEngine(table).error_answer,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as c:
        r = await c.get("/api/geo/id/PARIS.json")  # the spec documents its own 400
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == 400
    assert violations(r)[0]["location"][:3] == ["request", "parameter", "place_id"]
