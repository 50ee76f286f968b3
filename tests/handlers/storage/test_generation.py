"""The write generation: bumped after a transaction that wrote, by any process, not after one
that only read."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from handlers.storage.database import Database
from handlers.storage.generation import FileGeneration
from handlers.storage.models import User

pytestmark = pytest.mark.anyio


async def test_a_write_bumps_the_generation_and_a_read_only_transaction_does_not(
    database: Database,
) -> None:
    start = await database.generation.current()
    async with database.transaction() as session:
        await session.scalars(select(User).limit(1))
    assert await database.generation.current() == start
    async with database.transaction() as session:
        await session.execute(text("UPDATE users SET first_name = first_name WHERE 1 = 0"))
    assert await database.generation.current() != start


async def test_a_rolled_back_transaction_does_not_bump(database: Database) -> None:
    start = await database.generation.current()
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await session.execute(text("UPDATE users SET first_name = first_name WHERE 1 = 0"))
            raise RuntimeError("no")
    assert await database.generation.current() == start


async def test_two_processes_on_one_sqlite_file_share_its_counter(tmp_path: Path) -> None:
    one, other = FileGeneration(tmp_path / "db.gen"), FileGeneration(tmp_path / "db.gen")
    before = await other.current()
    await one.bump()
    assert await other.current() == before + 1
    await one.close()
    await other.close()
