"""PostgreSQL refuses two active bookings of one practitioner whose [start, end) ranges
overlap (migration 0008, the exclusion constraint `OVERLAP_GUARD`): what lets a booking be
one statement without a lock (handlers.domain.booking_create). Where btree_gist cannot be
created, the migration goes on without it and bookings take the advisory lock instead."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from handlers.domain.booking_create import OVERLAP_GUARD
from handlers.storage.database import Database, database_url
from handlers.storage.migrate import compare, upgrade
from handlers.storage.models import Booking, Practitioner
from tests.handlers.conftest import fresh_postgres_database, in_thread, migrated

pytestmark = pytest.mark.anyio
START = datetime(2030, 1, 1, 9, tzinfo=UTC)
IDS = itertools.count()
STATUSES = ("pending", "confirmed", "completed", "cancelled", "no_show")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def pg(postgres_server: str) -> AsyncIterator[Database]:
    async with migrated(fresh_postgres_database(postgres_server)) as db:
        async with db.transaction() as session:
            for pid in ("prac_1", "prac_2"):
                session.add(Practitioner(id=pid, first_name="A", last_name="B", price_amount=50))
        yield db


def booking(pid: str, start_min: int, minutes: int, status: str) -> Booking:
    at = START + timedelta(minutes=start_min)
    return Booking(
        **{"id": f"booking_{next(IDS)}", "user_id": "user_1", "practitioner_id": pid},
        **{"scheduled_at": at, "ends_at": at + timedelta(minutes=minutes)},
        **{"duration": minutes, "session_type": "video_call", "status": status},
        **{"price_amount": 50, "price_currency": "USD"},
    )


async def test_the_constraint_is_there_after_the_migrations(pg: Database) -> None:
    assert await pg.has_constraint(OVERLAP_GUARD)
    assert await compare(pg) == []  # (the models do not name it: PostgreSQL's alone)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.tuples(st.integers(0, 240), st.integers(15, 120), st.sampled_from(STATUSES)),
    second=st.tuples(st.integers(0, 240), st.integers(15, 120), st.sampled_from(STATUSES)),
    same_practitioner=st.booleans(),
)
async def test_only_overlapping_active_bookings_of_one_practitioner_are_refused(
    pg: Database,
    first: tuple[int, int, str],
    second: tuple[int, int, str],
    same_practitioner: bool,
) -> None:
    a = booking("prac_1", *first)
    b = booking("prac_1" if same_practitioner else "prac_2", *second)
    a_end, b_end = first[0] + first[1], second[0] + second[1]
    overlap = first[0] < b_end and second[0] < a_end  # [start, end): touching is fine
    active = all(s not in ("cancelled", "no_show") for s in (first[2], second[2]))
    # (the unique index on active (practitioner, start) refuses equal starts in any case)
    refused = same_practitioner and active and overlap
    try:
        async with pg.transaction() as session:
            session.add(a)
        try:
            async with pg.transaction() as session:
                session.add(b)
        except IntegrityError:
            assert refused, (first, second)
        else:
            assert not refused, (first, second)
    finally:
        async with pg.transaction() as session:
            await session.execute(delete(Booking).where(Booking.id.in_([a.id, b.id])))


async def test_without_btree_gist_the_migrations_go_on_without_the_constraint(
    postgres_server: str,
) -> None:
    # A role that may create tables in the database's schema but not extensions in it.
    plain = postgres_server.replace("postgresql+asyncpg://", "postgresql://")
    role = "kk_limited_" + uuid.uuid4().hex[:8]
    url = fresh_postgres_database(postgres_server)
    name = url.rsplit("/", 1)[1]

    async def grant() -> None:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        finally:
            await admin.close()
        inside = await asyncpg.connect(plain.rsplit("/", 1)[0] + "/" + name)
        try:
            await inside.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
        finally:
            await inside.close()

    in_thread(grant())
    host = plain.split("@", 1)[1].rsplit("/", 1)[0]
    db = Database(database_url(Path("."), {"DATABASE_URL": f"postgresql://{role}@{host}/{name}"}))
    await db.open()
    try:
        await upgrade(db)  # no error: btree_gist refused, the constraint left out
        assert not await db.has_constraint(OVERLAP_GUARD)
        assert await compare(db) == []
    finally:
        await db.close()
