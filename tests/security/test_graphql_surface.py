"""#15 items 7 and 11 (GraphQL): the body of POST /graphql is capped as REST's is, and
`kk serve` has no introspection or console unless enabled."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from tests.engine import client

pytestmark = pytest.mark.anyio
MIB = 1 << 20
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.fixture(scope="module")
def mock_app() -> Any:
    return build(AppConfig("mock")).app


def serve(**config: Any) -> Any:
    return build(AppConfig("strict", data_dir=tempfile.mkdtemp(prefix="kk-sec-"), **config)).app


async def test_a_body_over_one_mib_is_413_before_it_is_parsed(mock_app: Any) -> None:
    big = b'{"query": "{ __typename }", "pad": "' + b"x" * (MIB + 10) + b'"}'
    async with client(mock_app) as c:
        r = await c.post("/graphql", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(mock_app: Any) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):  # 40 MiB offered, no Content-Length
            sent.append(1)
            yield b"x" * MIB

    async with client(mock_app) as c:
        r = await c.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and len(sent) < 40


async def test_a_body_within_the_limit_is_answered(mock_app: Any) -> None:
    async with client(mock_app) as c:
        r = await c.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 1000})
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}


async def test_serve_refuses_introspection_and_has_no_console() -> None:
    async with client(serve()) as c:
        schema = await c.post("/graphql", json={"query": INTROSPECTION})
        console = await c.get("/graphql", headers={"Accept": "text/html"})
    assert schema.status_code == 400 and "introspection is disabled" in schema.text
    assert console.status_code == 405


async def test_serve_enables_them_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KK_GRAPHQL_INTROSPECTION", "1")
    async with client(serve()) as c:
        schema = await c.post("/graphql", json={"query": INTROSPECTION})
        console = await c.get("/graphql", headers={"Accept": "text/html"})
    assert schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert console.status_code == 200


async def test_the_mock_keeps_introspection_and_the_console(mock_app: Any) -> None:
    async with client(mock_app) as c:
        schema = await c.post("/graphql", json={"query": INTROSPECTION})
        console = await c.get("/graphql", headers={"Accept": "text/html"})
    assert schema.status_code == 200 and console.status_code == 200
