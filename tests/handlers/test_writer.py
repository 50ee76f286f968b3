"""handlers.storage.writer: whole write units on one thread, first come first served, each
committed when it returns and rolled back when it raises."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, event, text

from handlers.storage.writer import Writer


class Refused(Exception):
    pass


async def run_units(path: Path, fails: list[bool]) -> tuple[list[object], list[int], set[str]]:
    writer = Writer(f"sqlite+aiosqlite:///{path}")
    threads: set[str] = set()

    def create(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)"))
        conn.execute(text("DELETE FROM t"))

    def unit(n: int, fail: bool) -> object:
        def work(conn: Connection) -> int:
            threads.add(threading.current_thread().name)
            conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            # the order units ran in: each sees every earlier unit that committed
            seen = conn.execute(text("SELECT count(*) FROM t")).scalar_one()
            if fail:
                raise Refused(n)
            return int(seen)

        return work

    try:
        await writer.run(create)
        results = await asyncio.gather(
            *(writer.run(unit(n, f)) for n, f in enumerate(fails)), return_exceptions=True
        )
        kept, _ = await writer.run(
            lambda conn: [r[0] for r in conn.execute(text("SELECT n FROM t ORDER BY n"))]
        )
    finally:
        await writer.close()
    return list(results), kept, threads


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=20))
def test_units_run_in_the_order_sent_and_a_failing_one_leaves_nothing(fails: list[bool]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results, kept, threads = asyncio.run(run_units(Path(tmp) / "w.db", fails))
    assert kept == [n for n, fail in enumerate(fails) if not fail]
    committed = 0
    for n, (fail, result) in enumerate(zip(fails, results, strict=True)):
        if fail:
            assert isinstance(result, Refused) and result.args == (n,)
        else:
            committed += 1
            assert result == (committed, True)  # after every earlier committed unit, in order
    assert len(threads) == 1 and next(iter(threads)).startswith("kk-sqlite-writer")


def test_a_unit_that_only_reads_says_it_wrote_nothing() -> None:
    async def go() -> tuple[int, bool]:
        with tempfile.TemporaryDirectory() as tmp:
            writer = Writer(f"sqlite+aiosqlite:///{Path(tmp) / 'r.db'}")
            try:
                return await writer.run(
                    lambda conn: int(conn.execute(text("SELECT 1")).scalar_one())
                )
            finally:
                await writer.close()

    assert asyncio.run(go()) == (1, False)


def test_the_writer_keeps_one_connection_and_replaces_an_invalidated_one() -> None:
    async def go() -> tuple[list[int], list[int]]:
        with tempfile.TemporaryDirectory() as tmp:
            writer = Writer(f"sqlite+aiosqlite:///{Path(tmp) / 'c.db'}")
            checkouts: list[int] = []
            event.listen(writer.engine, "checkout", lambda *a: checkouts.append(1))

            def broken(conn: Connection) -> None:
                conn.invalidate()  # (as a disk or driver failure would leave it)
                raise Refused("broken")

            try:
                for _ in range(5):
                    await writer.run(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
                before = list(checkouts)
                await asyncio.gather(writer.run(broken), return_exceptions=True)
                after, _ = await writer.run(lambda c: c.execute(text("SELECT 2")).scalar_one())
            finally:
                await writer.close()
            return before, [len(checkouts), after]

    before, after = asyncio.run(go())
    assert len(before) == 1  # one checkout for five units: no pool round trip per unit
    assert after == [2, 2]  # a new connection after the invalidated one, and it works
