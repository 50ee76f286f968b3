from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from handlers.storage import seed
from handlers.storage.database import Database, database_url
from handlers.storage.migrate import compare, upgrade
from handlers.storage.models import Booking, Practitioner, User

pytestmark = pytest.mark.anyio
START = datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_database_url_turns_postgres_urls_into_asyncpg() -> None:
    for given in ("postgres://u:p@db:5432/kk", "postgresql://u:p@db:5432/kk"):
        assert database_url(Path("."), {"DATABASE_URL": given}) == (
            "postgresql+asyncpg://u:p@db:5432/kk"
        )


def test_without_database_url_the_database_is_a_sqlite_file_in_the_data_dir(
    tmp_path: Path,
) -> None:
    assert database_url(tmp_path, {}) == f"sqlite+aiosqlite:///{tmp_path / 'klearkarma.db'}"


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    db = Database(database_url(tmp_path, {}))
    try:
        async with db.session() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
    finally:
        await db.close()


def practitioner(pid: str = "prac_1") -> Practitioner:
    return Practitioner(id=pid, first_name="A", last_name="B", price_amount=50)


def booking(bid: str, status: str = "pending", at: datetime = START) -> Booking:
    return Booking(
        id=bid,
        user_id="user_1",
        practitioner_id="prac_1",
        scheduled_at=at,
        ends_at=at + timedelta(hours=1),
        duration=60,
        session_type="video_call",
        price_amount=50,
        price_currency="USD",
        status=status,
    )


async def test_migrations_match_the_models(database: Database) -> None:
    assert await compare(database) == []
    await upgrade(database)  # a second upgrade is a no-op
    assert await compare(database) == []


async def test_a_transaction_that_raises_leaves_no_row(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            session.add(practitioner())
            await session.flush()
            raise RuntimeError("boom")
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Practitioner)) == 0


async def test_two_active_bookings_cannot_start_together_with_one_practitioner(
    database: Database,
) -> None:
    async with database.transaction() as session:
        session.add(practitioner())
        await session.flush()
        session.add(booking("booking_1"))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(booking("booking_2"))
    # released statuses free the slot
    async with database.transaction() as session:
        (await session.get_one(Booking, "booking_1")).status = "cancelled"
    async with database.transaction() as session:
        session.add(booking("booking_2"))
        session.add(booking("booking_3", status="no_show"))


async def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    async with database.transaction() as session:
        session.add(practitioner())
        await session.flush()
        session.add(booking("booking_1", at=START.astimezone(datetime.now().astimezone().tzinfo)))
    async with database.session() as session:
        found = await session.get_one(Booking, "booking_1")
    assert found.scheduled_at == START and found.scheduled_at.tzinfo is not None
    assert found.created_at.tzinfo is not None


async def test_a_booking_of_an_unknown_practitioner_breaks_a_foreign_key(
    database: Database,
) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(booking("booking_1"))


async def test_two_workers_starting_together_migrate_and_seed_once(backend_url: str) -> None:
    """`--workers 2`: each worker migrates and seeds at start; neither may fail or duplicate."""
    plan = seed.plan(Path("spec/openapi.yaml"))
    workers = [Database(backend_url), Database(backend_url)]
    try:
        await asyncio.gather(*(upgrade(db) for db in workers))
        added = await asyncio.gather(*(seed.load(db, plan) for db in workers))
        assert sorted(added)[0] == 0 and sorted(added)[1] > 0
        async with workers[0].session() as session:
            assert await session.get(User, "test_user_123") is not None
    finally:
        for db in workers:
            await db.close()


async def _backend_pid(db: Database) -> object:
    """The id of the server-side connection a read session got."""
    async with db.session() as session:
        if db.dialect == "sqlite":
            raw = await session.connection()
            return id((await raw.get_raw_connection()).driver_connection)
        return (await session.execute(text("SELECT pg_backend_pid()"))).scalar()


async def test_sessions_on_the_loop_that_opened_the_pool_reuse_its_connections(
    database: Database,
) -> None:
    assert database.pooled
    assert await _backend_pid(database) == await _backend_pid(database)


async def test_a_session_on_another_loop_opens_its_own_connection_and_closes_it(
    database: Database,
) -> None:
    pooled = await _backend_pid(database)

    async def elsewhere() -> tuple[bool, object, object]:
        return database.pooled, await _backend_pid(database), await _backend_pid(database)

    def in_a_thread() -> tuple[bool, object, object]:
        return asyncio.run(elsewhere())

    was_pooled, first, second = await asyncio.to_thread(in_a_thread)
    assert not was_pooled
    assert pooled not in (first, second)
    if database.dialect == "postgresql":  # a new server process per session, none kept
        assert first != second
    assert await _backend_pid(database) == pooled  # the pool is still there on its loop


async def test_closing_the_database_disposes_its_pool(backend_url: str) -> None:
    db = Database(backend_url)
    await db.open()
    await upgrade(db)
    await _backend_pid(db)
    await db.close()
    assert not db.pooled
    await db.close()  # twice is fine
