"""PostgreSQL's pooled connections are pinged only after they sat idle (`ping_idle`): a
connection back in the pool moments ago is used as it is (asyncpg's ping is three round
trips), and one the server dropped while it sat idle is replaced before a request sees it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from handlers.storage import database as database_module
from handlers.storage.database import Database
from tests.handlers.conftest import fresh_postgres_database

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pinged(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Database, list[int]]]:
    """A pooled PostgreSQL database (idle bound: the test's parameter) and its ping count."""
    monkeypatch.setattr(database_module, "PING_IDLE_S", request.param)
    db = Database(fresh_postgres_database(postgres_server))
    await db.open()
    pings = [0]
    dialect = db.engine.dialect
    real = dialect.do_ping

    def counted(conn: Any) -> bool:
        pings[0] += 1
        return bool(real(conn))

    monkeypatch.setattr(dialect, "do_ping", counted)
    try:
        yield db, pings
    finally:
        await db.close()


async def _pid(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@pytest.mark.parametrize("pinged", [60.0], indirect=True)
async def test_a_connection_just_returned_is_used_without_a_ping(
    pinged: tuple[Database, list[int]],
) -> None:
    db, pings = pinged
    first = await _pid(db)
    for _ in range(20):
        assert await _pid(db) == first  # the same pooled connection each time
    async with db.session() as session:  # (reads too)
        await session.execute(text("SELECT 1"))
    assert pings[0] == 0  # pool_pre_ping would have pinged 21 times


@pytest.mark.parametrize("pinged", [0.05], indirect=True)
async def test_an_idle_connection_the_server_dropped_is_replaced_before_it_is_used(
    pinged: tuple[Database, list[int]], postgres_server: str
) -> None:
    db, pings = pinged
    first = await _pid(db)
    admin = await asyncpg.connect(postgres_server.replace("+asyncpg", ""))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # idle past the bound
    second = await _pid(db)  # no error: the ping found it gone, the pool reconnected
    assert second != first
    assert pings[0] >= 1
    assert await _pid(db) == second  # (pinged again after each idle pause, still alive)
