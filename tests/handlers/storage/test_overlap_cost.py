"""The overlap checks of a booking (the writer's `PLAN`, the directory's `BUSY`) do work
bounded by the practitioner's bookings that end after the new slot starts, not by the whole
past (migration 0009, `ix_bookings_practitioner_ends`). Work is counted as SQLite's virtual-machine
instructions (its progress handler), not timed: the old index answered `scheduled_at < end`
with every earlier booking, so the count grew with the past."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, insert

from handlers.domain.booking_create import PLAN
from handlers.domain.practitioners import BUSY
from handlers.storage.database import database_url
from handlers.storage.models import Booking, Practitioner
from tests.handlers.conftest import migrated

pytestmark = pytest.mark.anyio
START = datetime(2030, 1, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with one practitioner and no bookings."""
    data = tmp_path_factory.mktemp("overlap")
    async with migrated(database_url(data, {})) as db:
        async with db.transaction() as session:
            session.add(Practitioner(id="prac_1", first_name="A", last_name="B", price_amount=50))
    return data / "klearkarma.db"


@contextmanager
def connected(db_file: Path, past: int) -> Iterator[Connection]:
    """The file with `past` hour-long active bookings before START (rolled back after)."""
    engine = create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn, conn.begin() as transaction:
        rows = [
            {
                **{"id": f"booking_{i}", "user_id": "user_1", "practitioner_id": "prac_1"},
                **{"scheduled_at": START - (i + 1) * HOUR, "ends_at": START - i * HOUR},
                **{"duration": 60, "session_type": "video_call", "status": "confirmed"},
                **{"price_amount": 50, "price_currency": "USD", "payment_status": "pending"},
                **{"created_at": START, "updated_at": START},
            }
            for i in range(past)
        ]
        if rows:
            conn.execute(insert(Booking), rows)
        yield conn
        transaction.rollback()
    engine.dispose()


def instructions(conn: Connection, run: Callable[[], bool]) -> tuple[int, bool]:
    """SQLite virtual-machine instructions (in hundreds) that `run` took, and its answer."""
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0  # (go on)

    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    dbapi.set_progress_handler(tick, 100)
    try:
        answer = run()
    finally:
        dbapi.set_progress_handler(None, 100)
    return counted[0], answer


def plan_cost(conn: Connection, at: datetime) -> tuple[int, bool]:
    """The writer's plan of a booking at `at`: its cost, and whether the slot is taken."""
    plan = {"pid": "prac_1", "sid": None, "start": at, "end": at + HOUR}
    return instructions(
        conn, lambda: bool(conn.execute(PLAN, {**plan, "session_type": "video_call"}).one().taken)
    )


def busy_cost(conn: Connection, at: datetime) -> tuple[int, bool]:
    """The directory's busy times of a week from `at`: its cost, and whether any is busy."""
    window = {"ids": ["prac_1"], "start": at, "end": at + 7 * 24 * HOUR}
    return instructions(conn, lambda: bool(conn.execute(BUSY, window).all()))


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(past=st.integers(300, 1200), later=st.integers(0, 5))
@pytest.mark.parametrize("cost", [plan_cost, busy_cost], ids=["PLAN", "BUSY"])
async def test_checking_a_slot_costs_the_same_whatever_the_past_holds(
    db_file: Path, cost: Callable[[Connection, datetime], tuple[int, bool]], past: int, later: int
) -> None:
    at = START + later * HOUR  # (a slot at or after every booking kept: free)
    with connected(db_file, 3) as conn:
        few, taken = cost(conn, at)
        assert not taken
    with connected(db_file, past) as conn:
        many, taken = cost(conn, at)
        assert not taken
        assert cost(conn, START - HOUR)[1]  # (the last booking kept still overlaps)
    assert many <= few + 2, (few, many)  # (the old index: ~`past` lookups more)
