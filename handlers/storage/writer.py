"""SQLite's write units in one thread hop each, on a writer thread of their own.

Through aiosqlite, every statement is about four hand-offs between the event loop and the
connection's thread, and SQLAlchemy's asyncio layer adds a greenlet switch to each: profiled
under 32 concurrent bookings, those hand-offs were ~60 % of a booking's handler CPU
(bench/RESULTS.md, "POST on one writer thread"). A
`Writer` runs a whole unit of work (its checks, inserts and the commit) as one synchronous
function on a pysqlite connection in one thread: one hop there, one back. The connection
stays checked out for the writer's life (no pool checkout, reset and return per unit), and
the hot statements run on it as plain DB-API calls (handlers.storage.plain).

Its single thread takes units first come, first served, so the process's writers queue
fairly instead of polling SQLite's busy handler (which sleeps and retries: under -c32 some
waiters were served seconds late). Writers on other connections (the webhook worker, other
processes on the same file) still meet it at `BEGIN IMMEDIATE`, within the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url

from handlers.storage import jsoncolumns, sqlite

T = TypeVar("T")


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

        @event.listens_for(self.engine, "before_cursor_execute")
        def on_execute(*args: Any) -> None:
            if sqlite.writes(args[2]):
                self._writes += 1

    async def run(self, fn: Callable[[Connection], T]) -> tuple[T, bool]:
        """`fn` in one transaction on the writer's thread (committed when it returns, rolled
        back when it raises), and whether it ran a statement that may have changed data."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="kk-sqlite-writer")
        context = contextvars.copy_context()  # (the request's trace, for its events)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, context.run, self._unit, fn)

    def _unit(self, fn: Callable[[Connection], T]) -> tuple[T, bool]:
        seen = self._writes
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.engine.connect()
        with conn.begin():
            result = fn(conn)
        return result, self._writes != seen

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
