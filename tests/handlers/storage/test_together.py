"""Inserts into several tables as one PostgreSQL statement (handlers.storage.together): what
a unit writes, in one round trip, compiled once per shape."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from handlers.storage.database import Database
from handlers.storage.models import AuditEntry, OutboxEvent
from handlers.storage.together import together
from tests.handlers.conftest import fresh_postgres_database, migrated

pytestmark = pytest.mark.anyio
AT = datetime(2024, 1, 1, tzinfo=UTC)
RUNS = itertools.count()  # (each example its own ids)
OUTBOX, AUDIT = insert(OutboxEvent.__table__), insert(AuditEntry.__table__)  # type: ignore[arg-type]


def event(n: int) -> dict[str, Any]:
    return {
        **{"id": f"evt_{n}", "type": "booking.created", "channel": "bookings"},
        **{"data": {"n": n, "nested": [n, {"k": "v"}]}, "audience": [f"user_{n}"]},
        **{"created_at": AT, "published_at": None, "dispatched_at": None},
    }


def entry(n: int) -> dict[str, Any]:
    return {
        **{"at": AT, "actor": f"user_{n}", "action": "booking.created"},
        **{"resource_type": "booking", "resource_id": f"b_{n}", "request_id": None},
        "details": {"n": n},
    }


@pytest.fixture(scope="module")
async def pg(postgres_server: str) -> AsyncIterator[Database]:
    async with migrated(fresh_postgres_database(postgres_server)) as db:
        yield db


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def test_one_shape_is_one_statement_that_sqlalchemy_caches() -> None:
    first, params = together([(OUTBOX, [event(1)]), (AUDIT, [entry(1)])])
    again, _ = together([(OUTBOX, [event(2)]), (AUDIT, [entry(2)])])
    assert first is again  # built once per shape
    assert first._generate_cache_key() is not None  # (a multi-row VALUES would be None)
    many, _ = together([(OUTBOX, [event(1), event(2)]), (AUDIT, [entry(1)])])
    assert many is not first and many._generate_cache_key() is not None
    assert params["p0_0_id"] == "evt_1" and params["p1_0_actor"] == "user_1"


async def _count(db: Database, model: Any, like: str) -> int:
    column = model.id if model is OutboxEvent else model.resource_id
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).where(column.like(like))) or 0)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.integers(1, 4), entries=st.integers(0, 3))
async def test_every_row_of_every_part_is_written_with_its_values(
    pg: Database, events: int, entries: int
) -> None:
    tag = f"r{next(RUNS)}"
    rows = [{**event(n), "id": f"evt_{tag}_{n}"} for n in range(events)]
    audits = [{**entry(n), "resource_id": f"b_{tag}_{n}"} for n in range(entries)]
    async with pg.transaction() as session:
        await session.execute(*together([(OUTBOX, rows), (AUDIT, audits)]))
    assert await _count(pg, OutboxEvent, f"evt_{tag}_%") == events
    assert await _count(pg, AuditEntry, f"b_{tag}_%") == entries
    async with pg.session() as session:
        stored = await session.get_one(OutboxEvent, f"evt_{tag}_0")
    assert stored.data == rows[0]["data"] and stored.audience == rows[0]["audience"]


async def test_a_row_refused_writes_nothing_of_the_statement_even_in_autocommit(
    pg: Database,
) -> None:
    async with pg.transaction() as session:
        await session.execute(*together([(OUTBOX, [{**event(0), "id": "evt_taken"}])]))
    statement, params = together(
        [
            (AUDIT, [{**entry(0), "resource_id": "b_refused"}]),
            (OUTBOX, [event(0) | {"id": "evt_taken"}]),
        ]
    )

    def write(conn: Any) -> None:
        conn.execute(statement, params)

    with pytest.raises(IntegrityError):
        await pg.run_unit(write, one_statement=True)
    assert await _count(pg, AuditEntry, "b_refused") == 0  # the CTE's row went with it


async def test_a_one_statement_unit_that_writes_twice_is_stopped_before_its_second(
    pg: Database,
) -> None:
    def twice(conn: Any) -> None:
        conn.execute(*together([(AUDIT, [{**entry(0), "resource_id": "b_first"}])]))
        conn.execute(*together([(AUDIT, [{**entry(0), "resource_id": "b_second"}])]))

    with pytest.raises(Exception, match="wrote twice"):
        await pg.run_unit(twice, one_statement=True)
    assert await _count(pg, AuditEntry, "b_second") == 0
    async with pg.session() as session:  # (the connection is usable again, no flag left)
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
