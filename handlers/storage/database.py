"""The handlers' database: engines per app, every write in one transaction.

`DATABASE_URL` picks PostgreSQL (`postgres://`, `postgresql://` become asyncpg); without it,
SQLite (aiosqlite) in `<data_dir>/klearkarma.db`, WAL, foreign keys on, a busy timeout.
On SQLite a write transaction starts with `BEGIN IMMEDIATE`: writers queue for the file lock
at the start instead of failing on a read-to-write upgrade, so check-then-insert is atomic.

Connections: an async driver's connection belongs to the event loop that opened it, so the
pool belongs to one loop too. `open()` (the app's lifespan start-up, or a test fixture) makes
a pool on the running loop and `close()` disposes it on the same loop; sessions on that loop
check connections out of it (opening SQLite with its pragmas costs ~5 ms, a checkout ~0.1).
On any other loop (an app driven without its lifespan) a session opens its own connection.
A pool whose loop has stopped (a test client's portal, `asyncio.run` that returned) cannot be
disposed on it: `open()` on a new loop and `close()` then terminate its connections without a
loop (the driver's own way: aiosqlite stops its thread, asyncpg aborts its socket), rather
than leave them to the garbage collector.

`run_unit(fn)` runs a whole write unit written as one synchronous function: on a SQLite file
in one hop to the Database's writer thread (handlers.storage.writer), elsewhere through
`run_sync` on the async connection.

Every committed `transaction()` (and `run_unit`) that ran a statement other than a read
bumps the write generation (handlers.storage.generation) after its commit: the read answers
kept by server.answer_cache are checked against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create
from sqlalchemy.pool import NullPool

from handlers.storage import sqlite
from handlers.storage.generation import Generation, generation_for
from handlers.storage.jsoncolumns import CODEC
from handlers.storage.sqlite import BUSY_TIMEOUT_MS
from handlers.storage.writer import Writer
from server.filemodes import private_file

DB_FILE = "klearkarma.db"
T = TypeVar("T")
# A pool's graceful close (each connection closed on its own loop) may take this long; then its
# connections are terminated instead. Seen twice in `make check` (session 10): an aiosqlite
# close whose answer never came back, a lifespan shutdown waiting on it forever.
CLOSE_TIMEOUT_S = 10.0
log = logging.getLogger("kk.storage")


def database_url(data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy async URL of `DATABASE_URL`, else the SQLite file under `data_dir`."""
    raw = (env if env is not None else os.environ).get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite+aiosqlite:///{(data_dir / DB_FILE).resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+asyncpg://" + raw[len(prefix) :]
    return raw


# A transaction's `session.info` key: False when what it wrote is shown by no read answer.
CHANGES_ANSWERS = "kk_changes_answers"

# A pooled PostgreSQL connection idle this long is pinged before it is used (`ping_idle`).
PING_IDLE_S = 1.0
_RETURNED = "kk_returned_at"  # (its connection record's info: when it was checked in)

# Connections a pool keeps, and how many more it opens under load (per loop, per engine).
POOL_SIZE, POOL_OVERFLOW = 8, 24
PG_POOL_SIZE = POOL_SIZE + POOL_OVERFLOW  # (the same bound, every connection kept)


def _sqlite_engine(url: str, immediate: bool, pooled: bool) -> AsyncEngine:
    args: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}, **CODEC}
    if pooled:
        args.update(pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    else:
        args["poolclass"] = NullPool
    engine = _create(url, **args)
    sqlite.configure(engine.sync_engine, immediate)
    return engine


# A connection's `info` key while it runs a one-statement unit: whether it wrote yet.
ONE_WRITE = "kk_one_write"


class SecondWrite(RuntimeError):
    """A one-statement unit (no transaction of its own) began a second write statement."""


def count_writes(engine: AsyncEngine, seen: list[int]) -> None:
    """Count the statements through `engine` that may change data into `seen[0]`; refuse a
    second write statement on a connection running a one-statement unit (`run_unit`)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if sqlite.writes(statement):
            seen[0] += 1
            wrote = conn.info.get(ONE_WRITE)
            if wrote:
                raise SecondWrite(f"a one-statement unit wrote twice: {statement[:80]}")
            if wrote is not None:
                conn.info[ONE_WRITE] = True


def track_connections(engine: AsyncEngine, into: dict[int, Any]) -> None:
    """Keep in `into` every DBAPI connection `engine`'s pool holds open."""

    @event.listens_for(engine.sync_engine, "connect")
    def opened(dbapi_conn: Any, _record: Any) -> None:
        into[id(dbapi_conn)] = dbapi_conn

    @event.listens_for(engine.sync_engine, "close")
    def closed(dbapi_conn: Any, _record: Any) -> None:
        into.pop(id(dbapi_conn), None)

    @event.listens_for(engine.sync_engine, "close_detached")
    def detached(dbapi_conn: Any) -> None:
        into.pop(id(dbapi_conn), None)


def ping_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a pooled connection at checkout only when it has been idle for `idle_s` or more.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and asyncpg's ping is three round
    trips (BEGIN, an empty query, ROLLBACK): on `kk serve` that was 3 of a booking's 11 round
    trips, and 3 of every read's. A connection back in the pool moments ago is alive but for
    a server that went away meanwhile; a statement on it then fails as it would on one
    checked out before the server went. A ping that fails invalidates the whole pool (as the
    pre-ping does): the pool reconnects, and so does every connection older than this one."""

    @event.listens_for(engine.sync_engine, "checkin")
    def returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_RETURNED, None)  # (None: a connection opened just now)
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            raise exc.InvalidatePoolError(f"an idle connection did not answer: {e}") from e
        if not alive:
            raise exc.InvalidatePoolError("an idle connection did not answer")


class _Engines:
    """The write and read engines of one pool (or of none: a connection per session)."""

    def __init__(self, url: str, dialect: str, pooled: bool) -> None:
        if dialect == "sqlite":
            self.write = _sqlite_engine(url, immediate=True, pooled=pooled)
            self.read = _sqlite_engine(url, immediate=False, pooled=pooled)
        else:
            if pooled:  # (a connection the server dropped is replaced, not used: ping_idle)
                # Every connection opened is kept (`PG_POOL_SIZE`): an overflow connection
                # is closed when it comes back, and opening one costs a server process, TLS
                # negotiation, and each statement prepared again: under -c32, with 8 kept,
                # ~10 % of a `kk serve` worker's CPU went to opening and closing them.
                self.write = _create(url, pool_size=PG_POOL_SIZE, max_overflow=0, **CODEC)
                ping_idle(self.write, PING_IDLE_S)
            else:
                self.write = _create(url, poolclass=NullPool, **CODEC)
            self.read = self.write
        self.writes = async_sessionmaker(self.write, expire_on_commit=False)
        self.reads = async_sessionmaker(self.read, expire_on_commit=False)
        self.connections: dict[int, Any] = {}
        if pooled:
            for engine in {self.write, self.read}:
                track_connections(engine, self.connections)

    async def dispose(self) -> None:
        await self.write.dispose()
        if self.read is not self.write:
            await self.read.dispose()

    def terminate(self, held: list[Any] | None = None) -> None:
        """Close every pooled connection (or those `held`: the pool's before a close that
        did not finish) without an event loop (theirs has stopped or does not answer)."""
        for conn in held if held is not None else list(self.connections.values()):
            with contextlib.suppress(Exception):  # (one that fails is left to the collector)
                conn.terminate()
        self.connections.clear()
        for engine in {self.write, self.read}:
            engine.sync_engine.dispose(close=False)  # a new, empty pool; the old one let go


class Database:
    """Engines and sessions of one app (`transaction()` to write, `session()` to read)."""

    def __init__(self, url: str, env: Mapping[str, str] | None = None) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        path = make_url(url).database
        if self.dialect == "sqlite" and path and path != ":memory:":
            private_file(Path(path))  # 0600 before SQLite opens it (server.filemodes)
            private_file(Path(path + ".gen"))
        # Whole write units in one thread hop (handlers.storage.writer): a file's only.
        self.writer = (
            Writer(url) if self.dialect == "sqlite" and path not in (None, "", ":memory:") else None
        )
        self.generation: Generation = generation_for(
            url, self.dialect, path, lambda: self.engine, env
        )
        self._writes = [0]  # statements that may have changed data, through any write engine
        self._unpooled = self._engines_for(pooled=False)
        self._constraints: dict[str, bool] = {}  # (has_constraint)
        self._pool: _Engines | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None

    def _engines_for(self, pooled: bool) -> _Engines:
        engines = _Engines(self.url, self.dialect, pooled)
        count_writes(engines.write, self._writes)
        return engines

    @classmethod
    def for_data_dir(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> Database:
        return cls(database_url(data_dir, env), env)

    async def open(self) -> None:
        """A connection pool on the running loop (idempotent); `close()` disposes it."""
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._pool_loop is loop:
            return
        await self._drop_pool()
        self._pool, self._pool_loop = self._engines_for(pooled=True), loop
        await self.generation.prepare()

    @property
    def has_pool(self) -> bool:
        """Whether a pool is open (on whichever loop opened it)."""
        return self._pool is not None

    @property
    def pooled(self) -> bool:
        """Whether sessions on the running loop come from the pool."""
        return self._engines() is self._pool

    def _engines(self) -> _Engines:
        pool = self._pool
        if pool is not None:
            try:
                if self._pool_loop is asyncio.get_running_loop():
                    return pool
            except RuntimeError:  # no running loop
                pass
        return self._unpooled

    @property
    def engine(self) -> AsyncEngine:
        """The write engine of the running loop (migrations, maintenance, SQL listeners)."""
        return self._engines().write

    @property
    def read_engine(self) -> AsyncEngine:
        return self._engines().read

    @asynccontextmanager
    async def transaction(self, changes_answers: bool = True) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any exception.
        `changes_answers=False` (or `session.info[CHANGES_ANSWERS]` set in the block) only for
        bookkeeping no read answer shows (the outbox's marks): no generation bump, which
        would drop every kept answer again."""
        seen = self._writes[0]
        async with self._engines().writes() as session, session.begin():
            yield session
            changes_answers = session.info.get(CHANGES_ANSWERS, changes_answers)
        # After the commit (see handlers.storage.generation), and only when a statement may
        # have changed data: the webhook worker's idle rounds only read. (Another transaction
        # writing meanwhile also counts here: one bump too many, never one too few.)
        if changes_answers and self._writes[0] != seen:
            await self.generation.bump()

    async def run_unit(
        self,
        fn: Callable[[Connection], T],
        changes_answers: Callable[[T], bool] | None = None,
        one_statement: bool = False,
    ) -> T:
        """`fn` as one write transaction on a synchronous connection (Core statements):
        on SQLite the writer's thread, in one hop; elsewhere the async connection through
        `run_sync`. The write generation is bumped after the commit as `transaction()` does
        (unless `changes_answers` says, of `fn`'s result, that no read answer shows it).

        `one_statement` (PostgreSQL): `fn` writes with one statement at most, so it runs in
        autocommit (no BEGIN, no COMMIT: two round trips fewer); a second write statement
        raises `SecondWrite` before it runs."""
        result, bump = await self.run_unit_unbumped(fn, changes_answers, one_statement)
        if bump:
            await self.generation.bump()
        return result

    async def run_unit_unbumped(
        self,
        fn: Callable[[Connection], T],
        changes_answers: Callable[[T], bool] | None = None,
        one_statement: bool = False,
    ) -> tuple[T, bool]:
        """`run_unit`, and whether the write generation is yet to be bumped: the caller's to
        do before anyone is told of the write (handlers.domain.unit `publish` does it in the
        round trip that publishes the unit's events, when the bus shares its Redis)."""
        if one_statement and self.dialect == "postgresql":
            seen = self._writes[0]
            result = await self._run_autocommit(fn)
            wrote = self._writes[0] != seen  # (or another unit meanwhile: one bump too many)
        elif self.writer is None:  # (the transaction bumps it itself)
            async with self.transaction() as session:
                result = await session.run_sync(lambda sync: fn(sync.connection()))
                if changes_answers is not None:
                    session.info[CHANGES_ANSWERS] = changes_answers(result)
            return result, False
        else:
            result, wrote = await self.writer.run(fn)
        return result, wrote and (changes_answers is None or changes_answers(result))

    async def _run_autocommit(self, fn: Callable[[Connection], T]) -> T:
        def guarded(conn: Connection) -> T:
            conn.info[ONE_WRITE] = False
            try:
                return fn(conn)
            finally:
                conn.info.pop(ONE_WRITE, None)

        async with self._engines().write.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            return await conn.run_sync(guarded)

    async def has_constraint(self, name: str) -> bool:
        """Whether the (PostgreSQL) database has a constraint named `name`; asked once per
        name (migrations run before the first use). Always False on SQLite."""
        found = self._constraints.get(name)
        if found is None:
            found = False
            if self.dialect == "postgresql":
                async with self.session() as session:
                    query = text("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = :n)")
                    found = bool(await session.scalar(query, {"n": name}))
            self._constraints[name] = found
        return found

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (its transaction is rolled back at the end)."""
        async with self._engines().reads() as session:
            yield session

    async def _drop_pool(self) -> None:
        pool, loop = self._pool, self._pool_loop
        self._pool = self._pool_loop = None
        if pool is None:
            return
        if loop is asyncio.get_running_loop():
            held = list(pool.connections.values())  # (a close forgets each one it begins)
            try:
                await asyncio.wait_for(pool.dispose(), CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning(
                    "the database's connections did not close within %s s: terminated",
                    CLOSE_TIMEOUT_S,
                )
                await asyncio.to_thread(pool.terminate, held)
        elif loop is not None and loop.is_running():
            # Its connections are closed on their own loop when it can.
            asyncio.run_coroutine_threadsafe(pool.dispose(), loop)
        else:  # no loop will run their close again; (in a thread without a loop: aiosqlite
            # would otherwise answer on this one, which may be closed by the time it does)
            await asyncio.to_thread(pool.terminate)

    async def close(self) -> None:
        await self._drop_pool()
        await self._unpooled.dispose()
        await self.generation.close()
        if self.writer is not None:
            await self.writer.close()
