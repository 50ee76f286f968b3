"""Group commit on SQLite's writer (handlers.storage.writer): the units queued while the
writer is busy run in one transaction, a savepoint each. Every caller gets its own answer;
the database holds exactly the units that succeeded, and nothing of a batch whose commit
(or whose transaction) failed."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError

from handlers.storage.writer import Writer

KINDS = ("ok", "refused", "refused_after_writing", "duplicate")


class Refused(Exception):
    pass


class Crash(BaseException):
    """A failure that is not an Exception (as an interrupt would be)."""


def _create(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    conn.execute(text("CREATE TABLE audit (n INTEGER NOT NULL, what TEXT NOT NULL)"))


def _unit(n: int, kind: str) -> Callable[[Connection], int]:
    """A unit that writes row n of `t` and its audit row, or fails as `kind` says."""

    def work(conn: Connection) -> int:
        if kind == "refused":  # (before writing anything: a 422)
            raise Refused(n)
        if kind == "crash":
            conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            raise Crash(n)
        # a duplicate takes row 0 again (the unit before every sequence's: a 409's index)
        conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": 0 if kind == "duplicate" else n})
        conn.execute(text("INSERT INTO audit (n, what) VALUES (:n, 'made')"), {"n": n})
        if kind == "refused_after_writing":
            raise Refused(n)
        # what this unit sees: every earlier unit that succeeded, and itself
        return int(conn.execute(text("SELECT count(*) FROM audit")).scalar_one())

    return work


Then = Callable[[list["asyncio.Future[Any]"]], Awaitable[None]]


async def _batched(
    writer: Writer, units: list[Callable[[Connection], Any]], then: Then
) -> list[Any]:
    """`units` queued while the writer is held by another unit, then released together
    (`then` runs once they are all queued)."""
    started, release = threading.Event(), threading.Event()

    def hold(conn: Connection) -> None:
        started.set()
        release.wait(10)

    held = asyncio.ensure_future(writer.run(hold))
    while not started.is_set():  # (the holding unit running on the writer's thread)
        await asyncio.sleep(0.001)
    tasks = [asyncio.ensure_future(writer.run(u)) for u in units]
    while writer.queued < len(units):
        await asyncio.sleep(0.001)
    await then(tasks)
    release.set()
    await held
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def _rows(writer: Writer) -> tuple[list[int], list[int]]:
    def read(conn: Connection) -> tuple[list[int], list[int]]:
        t = [r[0] for r in conn.execute(text("SELECT n FROM t ORDER BY n"))]
        audit = [r[0] for r in conn.execute(text("SELECT n FROM audit ORDER BY n"))]
        return t, audit

    return (await writer.run(read))[0]


async def _nothing(tasks: list[asyncio.Future[Any]]) -> None:
    pass


async def run_batch(
    path: Path, kinds: list[str], batch: int
) -> tuple[list[Any], list[int], list[int], list[int], int]:
    writer = Writer(f"sqlite:///{path}")
    writer.batch = batch
    commits: list[int] = []
    event.listen(writer.engine, "commit", lambda conn: commits.append(1))
    try:
        await writer.run(_create)
        await writer.run(_unit(0, "ok"))
        writer.batches, before = [], len(commits)
        results = await _batched(writer, [_unit(n, k) for n, k in enumerate(kinds, 1)], _nothing)
        sizes, made = list(writer.batches), len(commits) - before
        t, audit = await _rows(writer)
    finally:
        await writer.close()
    return results, t, audit, sizes, made


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=24), st.integers(1, 8))
def test_each_unit_of_a_batch_gets_its_own_answer_and_only_the_successful_ones_stay(
    kinds: list[str], batch: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results, t, audit, sizes, commits = asyncio.run(run_batch(Path(tmp) / "g.db", kinds, batch))
    ok = [n for n, kind in enumerate(kinds, 1) if kind == "ok"]
    assert t == [0, *ok] and audit == [0, *ok]  # every successful unit with its audit row
    seen = 1
    for n, (kind, result) in enumerate(zip(kinds, results, strict=True), 1):
        if kind == "ok":
            seen += 1
            assert result == (seen, True)  # after every earlier unit that succeeded
        elif kind == "duplicate":
            assert isinstance(result, IntegrityError)
        else:
            assert isinstance(result, Refused) and result.args == (n,)
    # one transaction a batch (the holding unit's, then the queued ones `batch` at a time)
    chunks = [kinds[i : i + batch] for i in range(0, len(kinds), batch)]
    assert sizes == [1] + [len(c) for c in chunks]
    # (a lone unit that fails is rolled back, not committed; a batch of several commits)
    assert commits == 1 + sum(len(c) > 1 or c == ["ok"] for c in chunks)


async def _on_fresh_writer(
    then: Callable[[Writer], Awaitable[Any]], prepare: Callable[[Writer], None] = lambda w: None
) -> Any:
    """`then(writer)` on a writer of a new database holding `_create`'s tables, closed after."""
    with tempfile.TemporaryDirectory() as tmp:
        writer = Writer(f"sqlite:///{Path(tmp) / 'w.db'}")
        prepare(writer)
        try:
            await writer.run(_create)
            return await then(writer)
        finally:
            await writer.close()


def test_a_crash_in_the_middle_of_a_batch_commits_none_of_it_and_the_writer_goes_on() -> None:
    async def go(writer: Writer) -> tuple[list[Any], tuple[list[int], list[int]], Any]:
        kinds = ["ok", "refused", "ok", "crash", "ok"]
        results = await _batched(writer, [_unit(n, k) for n, k in enumerate(kinds, 1)], _nothing)
        return results, await _rows(writer), await writer.run(_unit(9, "ok"))

    results, rows, after = asyncio.run(_on_fresh_writer(go))
    assert isinstance(results[1], Refused)  # its own failure
    assert [type(r) for i, r in enumerate(results) if i != 1] == [Crash] * 4  # none committed
    assert rows == ([], [])
    assert after == (1, True)


def test_a_batch_whose_commit_fails_answers_every_caller_with_the_failure() -> None:
    commits: list[int] = []

    def on_commit(conn: Any) -> None:
        commits.append(1)
        if len(commits) == 3:  # _create's, the holding unit's, then the batch's
            raise OSError("disk full")

    async def go(writer: Writer) -> tuple[list[Any], tuple[list[int], list[int]]]:
        units = [_unit(n, k) for n, k in enumerate(["ok", "refused", "ok"], 1)]
        return await _batched(writer, units, _nothing), await _rows(writer)

    def prepare(writer: Writer) -> None:
        event.listen(writer.engine, "commit", on_commit)

    results, rows = asyncio.run(_on_fresh_writer(go, prepare))
    assert isinstance(results[0], OSError) and isinstance(results[2], OSError)
    assert isinstance(results[1], Refused)  # (rolled back either way: its own answer)
    assert rows == ([], [])


def test_a_caller_gone_before_its_batch_runs_has_nothing_written() -> None:
    async def cancel_the_second(tasks: list[asyncio.Future[Any]]) -> None:
        tasks[1].cancel()
        await asyncio.sleep(0)

    async def go(writer: Writer) -> tuple[list[Any], tuple[list[int], list[int]]]:
        units = [_unit(n, "ok") for n in (1, 2, 3)]
        return await _batched(writer, units, cancel_the_second), await _rows(writer)

    results, rows = asyncio.run(_on_fresh_writer(go))
    assert results[0] == (1, True) and results[2] == (2, True)
    assert isinstance(results[1], asyncio.CancelledError)
    assert rows == ([1, 3], [1, 3])
