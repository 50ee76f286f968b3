"""The handlers' database: one async engine per app, every write in one transaction.

`DATABASE_URL` picks PostgreSQL (`postgres://`, `postgresql://` become asyncpg); without it,
SQLite (aiosqlite) in `<data_dir>/klearkarma.db`, WAL, foreign keys on, a busy timeout.
On SQLite a write transaction starts with `BEGIN IMMEDIATE`: writers queue for the file lock
at the start instead of failing on a read-to-write upgrade, so check-then-insert is atomic.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create
from sqlalchemy.pool import NullPool

from server.filemodes import private_file

DB_FILE = "klearkarma.db"
BUSY_TIMEOUT_MS = 15_000


def database_url(data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy async URL of `DATABASE_URL`, else the SQLite file under `data_dir`."""
    raw = (env if env is not None else os.environ).get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite+aiosqlite:///{(data_dir / DB_FILE).resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+asyncpg://" + raw[len(prefix) :]
    return raw


def _sqlite_engine(url: str, immediate: bool) -> AsyncEngine:
    # One connection per session (NullPool): opening SQLite is cheap, and a pooled aiosqlite
    # connection is bound to the event loop that opened it.
    engine = _create(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Engines and sessions of one app (`transaction()` to write, `session()` to read)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            path = make_url(url).database
            if path and path != ":memory:":
                private_file(Path(path))  # 0600 before SQLite opens it (server.filemodes)
            self.engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.engine = _create(url, pool_pre_ping=True)
            self.read_engine = self.engine
        self._writes = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reads = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @classmethod
    def for_data_dir(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> Database:
        return cls(database_url(data_dir, env))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any exception."""
        async with self._writes() as session, session.begin():
            yield session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (its transaction is rolled back at the end)."""
        async with self._reads() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
