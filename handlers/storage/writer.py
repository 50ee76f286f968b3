"""SQLite's write units on a writer thread of their own, the queued ones committed together.

Through aiosqlite, every statement is about four hand-offs between the event loop and the
connection's thread, and SQLAlchemy's asyncio layer adds a greenlet switch to each: profiled
under 32 concurrent bookings, those hand-offs were ~60 % of a booking's handler CPU
(bench/RESULTS.md, "POST on one writer thread"). A
`Writer` runs a whole unit of work (its checks, inserts and the commit) as one synchronous
function on a pysqlite connection in one thread: one hop there, one back. The connection
stays checked out for the writer's life (no pool checkout, reset and return per unit), and
the hot statements run on it as plain DB-API calls (handlers.storage.plain).

Group commit: when the thread wakes it takes every unit queued meanwhile (up to `BATCH`) and
runs them in order in one `BEGIN IMMEDIATE` ... `COMMIT`, each in a `SAVEPOINT` of its own
when there is more than one, so a unit that raises (a slot taken: the 409) rolls back only its
own changes and gets its own exception; the others go on. Each caller is answered only after
the `COMMIT` that holds its unit (the same durability as one transaction a unit); a failure of
the batch's `BEGIN`/`COMMIT`, or one that ends the transaction, fails every unit of it (none
was committed). A batch costs one `BEGIN`, one `COMMIT` (one WAL append for many units) and
one wake-up of the event loop; under -c32 the commit alone was ~20 % of the thread's wall
time a unit (bench/RESULTS.md, "POST with group commit").

Its single thread takes units first come, first served, so the process's writers queue
fairly instead of polling SQLite's busy handler (which sleeps and retries: under -c32 some
waiters were served seconds late). Writers on other connections (the webhook worker, other
processes on the same file) still meet it at `BEGIN IMMEDIATE`, within the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from handlers.storage import jsoncolumns, sqlite

T = TypeVar("T")
BATCH = 64  # units at most in one transaction (the queue rarely holds more than -c of wrk)


class Writer:
    """One thread and one synchronous connection that run whole write transactions."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(
            make_url(url).set(drivername="sqlite+pysqlite"),
            pool_size=1,
            max_overflow=0,
            **jsoncolumns.CODEC,
            # (made, used and closed on the writer's thread; a new thread after close() may
            # reopen it)
            connect_args={"timeout": sqlite.BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        sqlite.configure(self.engine, immediate=True)
        self._writes = 0
        self._thread: ThreadPoolExecutor | None = None
        self._conn: Connection | None = None  # (only touched on the writer's thread)
        self._lock = threading.Lock()  # (the queue and whether a drain is on its way)
        self._queue: list[_Job] = []
        self._draining = False
        self.batch = BATCH
        self.batches: list[int] | None = None  # (a test's: the size of each batch)

        @event.listens_for(self.engine, "before_cursor_execute")
        def on_execute(*args: Any) -> None:
            if sqlite.writes(args[2]):
                self._writes += 1

    async def run(self, fn: Callable[[Connection], T]) -> tuple[T, bool]:
        """`fn` in a transaction on the writer's thread (committed before this returns, its
        own changes rolled back when it raises), and whether it ran a statement that may
        have changed data."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, contextvars.copy_context(), loop.create_future())  # (the trace)
        with self._lock:
            self._queue.append(job)
            start, self._draining = not self._draining, True
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="kk-sqlite-writer")
            if start:
                self._thread.submit(self._drain)
        return cast(tuple[T, bool], await job.future)

    @property
    def queued(self) -> int:
        """Units waiting for the writer's thread (not the batch it is running)."""
        return len(self._queue)

    def _drain(self) -> None:
        """Every unit queued, a batch at a time, until the queue is empty."""
        while True:
            with self._lock:
                batch, self._queue = self._queue[: self.batch], self._queue[self.batch :]
                if not batch:
                    self._draining = False
                    return
            if self.batches is not None:
                self.batches.append(len(batch))
            # (a unit whose caller is gone before it started is not run)
            _answer(self._batch([j for j in batch if not j.future.cancelled()]))

    def _batch(self, jobs: list[_Job]) -> list[tuple[_Job, bool, Any]]:
        """The units in one transaction (a savepoint each when more than one), committed
        once: each unit's (job, ok, result or exception), final only after the commit."""
        outcomes: list[tuple[_Job, bool, Any]] = []
        if not jobs:
            return outcomes
        try:
            conn = self._conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self._conn = self.engine.connect()
            with conn.begin():
                if len(jobs) == 1:  # (no savepoint: a failure rolls the transaction back)
                    outcomes.append((jobs[0], True, self._one(conn, jobs[0])))
                else:
                    for job in jobs:
                        outcomes.append(self._savepointed(conn, job))
        except BaseException as e:  # (BEGIN, COMMIT, a lost transaction, or a unit's own
            # failure when alone): nothing of the batch was committed
            self._abandon()
            failed = [(job, False, e) for job in jobs[len(outcomes) :]]
            return [(j, False, r if not ok else e) for j, ok, r in outcomes] + failed
        return outcomes

    def _abandon(self) -> None:
        """After a failed batch: no transaction left open on the connection (a `COMMIT` that
        failed, SQLITE_BUSY or a full disk, leaves it open), or a new connection next time."""
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            return
        dbapi = conn.connection.driver_connection
        try:
            if dbapi is not None and dbapi.in_transaction:
                dbapi.rollback()
        except Exception:
            conn.invalidate()

    def _one(self, conn: Connection, job: _Job) -> tuple[Any, bool]:
        seen = self._writes
        result = job.context.run(job.fn, conn)
        return result, self._writes != seen

    def _savepointed(self, conn: Connection, job: _Job) -> tuple[_Job, bool, Any]:
        """One unit of a batch in a savepoint: its own failure undoes only its changes (the
        transaction goes on); a failure that ended the transaction is raised."""
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        _driver(conn, dbapi, "SAVEPOINT kk_unit")
        try:
            result = self._one(conn, job)
        except Exception as e:
            if conn.invalidated or not dbapi.in_transaction:
                raise  # (the transaction is gone: every unit of the batch fails)
            _driver(conn, dbapi, "ROLLBACK TO kk_unit")
            _driver(conn, dbapi, "RELEASE kk_unit")
            return job, False, e
        _driver(conn, dbapi, "RELEASE kk_unit")
        return job, True, result

    def _dispose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self.engine.dispose()

    async def close(self) -> None:
        """Close the connection on its own thread, then let the thread end."""
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(thread, self._dispose)
            thread.shutdown(wait=False)


class _Job(NamedTuple):
    fn: Callable[[Connection], Any]
    context: contextvars.Context
    future: asyncio.Future[Any]


def _driver(conn: Connection, dbapi: Any, statement: str) -> None:
    """A statement without parameters as one DB-API call (as `BEGIN IMMEDIATE` is)."""
    try:
        dbapi.execute(statement)
    except conn.dialect.loaded_dbapi.Error as e:
        raise DBAPIError.instance(statement, (), e, conn.dialect.loaded_dbapi.Error) from e


def _answer(outcomes: list[tuple[_Job, bool, Any]]) -> None:
    """Each unit's result or exception to its caller, one wake-up per event loop."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[_Job, bool, Any]]] = {}
    for outcome in outcomes:
        loops.setdefault(outcome[0].future.get_loop(), []).append(outcome)
    for loop, theirs in loops.items():
        with contextlib.suppress(RuntimeError):  # (a loop closed meanwhile: nobody waits)
            loop.call_soon_threadsafe(_settle, theirs)


def _settle(outcomes: list[tuple[_Job, bool, Any]]) -> None:
    for job, ok, result in outcomes:
        if job.future.done():  # (cancelled meanwhile)
            continue
        if ok:
            job.future.set_result(result)
        else:
            job.future.set_exception(result)
