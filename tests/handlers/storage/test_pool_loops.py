"""A pool belongs to the event loop that opened it; what becomes of it when that loop stops."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from handlers.storage.database import Database, database_url


async def use_the_pool(db: Database) -> None:
    await db.open()
    async with db.session() as read, db.transaction() as write:  # both engines' connections
        await read.execute(text("SELECT 1"))
        await write.execute(text("SELECT 1"))


def left_to_the_collector() -> list[str]:
    """What the garbage collector finds unclosed (recorded here rather than raised inside a
    finalizer, where it would surface in whichever test runs next)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        gc.collect()
    return [f"{w.category.__name__}: {w.message}" for w in seen]


def stopped_loop(db: Database) -> None:
    loop = asyncio.new_event_loop()
    loop.run_until_complete(use_the_pool(db))  # (a test client's portal between two calls)
    loop.close()


def finished_run(db: Database) -> None:
    asyncio.run(use_the_pool(db))


@pytest.mark.parametrize("first", [stopped_loop, finished_run])
@pytest.mark.parametrize("then", ["open", "close"])
def test_a_pool_whose_loop_has_stopped_is_closed_not_left_to_the_collector(
    tmp_path: Path, first: Callable[[Database], None], then: str
) -> None:
    db = Database(database_url(tmp_path, {}))
    first(db)
    left_to_the_collector()  # (anything earlier tests left)

    async def next_loop() -> None:
        if then == "open":
            await use_the_pool(db)  # another loop's pool replaces it
        await db.close()

    asyncio.run(next_loop())
    assert left_to_the_collector() == []
    assert not db.has_pool
