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


def test_a_close_that_never_answers_does_not_hold_the_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection whose graceful close never completes (seen in `make check`: a lifespan
    shutdown waiting on an aiosqlite close forever) is terminated after CLOSE_TIMEOUT_S."""
    import aiosqlite

    from handlers.storage import database

    db = Database(database_url(tmp_path, {}))
    closes: list[object] = []
    graceful = aiosqlite.Connection.close

    async def never(self: aiosqlite.Connection) -> None:
        closes.append(self)
        await asyncio.Event().wait()

    async def run() -> float:
        await use_the_pool(db)
        monkeypatch.setattr(aiosqlite.Connection, "close", never)
        monkeypatch.setattr(database, "CLOSE_TIMEOUT_S", 0.3)
        started = asyncio.get_running_loop().time()
        await db.close()
        return asyncio.get_running_loop().time() - started

    took = asyncio.run(run())
    monkeypatch.setattr(aiosqlite.Connection, "close", graceful)
    assert closes and took < 5
    assert not db.has_pool
    assert "did not close within 0.3 s: terminated" in caplog.text
    for conn in closes:  # terminated: each connection's thread closed it and ended
        thread = conn._thread  # type: ignore[attr-defined]
        thread.join(timeout=5)
        assert not thread.is_alive()
