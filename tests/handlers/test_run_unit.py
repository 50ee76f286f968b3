"""Database.run_unit: a whole write unit in one call, and the answer generation bumped after
it only when it may have changed what read answers show (`changes_answers`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from handlers.storage.database import Database, database_url

pytestmark = pytest.mark.anyio


def insert(n: int) -> object:
    def unit(conn: Connection) -> int:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
        conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
        return n

    return unit


@pytest.mark.parametrize("where", ["file", "memory"])
async def test_a_unit_bumps_the_generation_unless_it_says_no_answer_changed(
    tmp_path: Path, where: str
) -> None:
    url = database_url(tmp_path, {}) if where == "file" else "sqlite+aiosqlite:///:memory:"
    db = Database(url)
    assert (db.writer is not None) == (where == "file")  # (the writer's thread, or run_sync)
    try:
        if where == "file":
            await db.open()  # (an in-memory database has one connection, no pool)
        generations = [await db.generation.current()]
        for changes in (None, lambda n: n == 1, lambda n: n == 3):
            for n in (1, 2) if changes is None else (2, 3):
                assert await db.run_unit(insert(n), changes) == n  # type: ignore[arg-type]
                generations.append(await db.generation.current())
    finally:
        await db.close()
    steps = [b - a for a, b in zip(generations, generations[1:], strict=False)]
    # always; only n == 1 (so: not 2, nor 3); only n == 3
    assert [s > 0 for s in steps] == [True, True, False, False, False, True]
