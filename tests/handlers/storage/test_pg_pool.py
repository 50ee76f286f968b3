"""A PostgreSQL pool keeps every connection it opened (up to its bound): a connection opened
for a burst is there for the next one. With 8 kept and 24 overflow, each burst past 8 opened
and closed connections anew (a server process, TLS negotiation, statements prepared again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text

from handlers.storage.database import PG_POOL_SIZE, Database
from tests.handlers.conftest import fresh_postgres_database

pytestmark = pytest.mark.anyio
BURST = 20  # past the old 8 kept, under the bound of 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def pg(postgres_server: str) -> AsyncIterator[Database]:
    db = Database(fresh_postgres_database(postgres_server))
    await db.open()
    try:
        yield db
    finally:
        await db.close()


async def _burst(db: Database) -> None:
    async def one() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(one() for _ in range(BURST)))


async def test_connections_opened_for_a_burst_serve_the_next_one(pg: Database) -> None:
    opened = [0]

    @event.listens_for(pg.engine.sync_engine, "connect")
    def on_connect(*_: Any) -> None:
        opened[0] += 1

    await _burst(pg)
    first = opened[0]
    assert BURST >= first > 8  # (the burst needed more than the old pool kept)
    await _burst(pg)
    assert opened[0] == first  # none closed in between, none opened again
    assert PG_POOL_SIZE == 32
