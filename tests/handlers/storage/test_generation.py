"""The write generation: bumped after a transaction that wrote, by any process, not after one
that only read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, text

from handlers.storage.coalesced import Coalesced
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


class SlowCounter:
    """A shared counter whose reads take a round trip (a Redis GET), counted."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0
        self.gate = asyncio.Event()

    async def prepare(self) -> None:
        return None

    async def current(self) -> int:
        self.reads += 1
        seen = self.value  # the server answers as of when the read arrives
        await self.gate.wait()
        return seen

    async def bump(self) -> None:
        self.value += 1

    async def close(self) -> None:
        return None


async def test_reads_waiting_at_once_share_one_round_trip() -> None:
    counter = SlowCounter()
    shared = Coalesced(counter)
    readers = [asyncio.ensure_future(shared.current()) for _ in range(20)]
    await asyncio.sleep(0)
    counter.gate.set()
    assert await asyncio.gather(*readers) == [0] * 20
    assert counter.reads == 1


async def test_a_read_that_arrives_after_a_bump_never_joins_a_read_sent_before_it() -> None:
    counter = SlowCounter()
    shared = Coalesced(counter)
    early = asyncio.ensure_future(shared.current())
    await asyncio.sleep(0.01)  # its read is in flight, as of value 0
    await shared.bump()  # a write commits and its client has the answer
    late = asyncio.ensure_future(shared.current())  # that client's next read
    await asyncio.sleep(0.01)
    counter.gate.set()
    assert (await early, await late) == (0, 1)
    assert counter.reads == 2


async def test_a_failed_read_fails_its_waiters_and_the_next_batch_reads_again() -> None:
    counter = SlowCounter()
    counter.gate.set()
    shared = Coalesced(counter)
    broken = counter.current

    async def fail() -> int:
        raise ConnectionError("redis went away")

    counter.current = fail  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await shared.current()
    counter.current = broken  # type: ignore[method-assign]
    assert await shared.current() == 0
