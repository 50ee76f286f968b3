"""How every SQLite connection of the handlers is set up (the async engines' and the writer's).

WAL, foreign keys on, a busy timeout, `synchronous=NORMAL`; the driver's own transaction
handling off, so a write transaction starts with `BEGIN IMMEDIATE`: writers queue for the
file lock at the start instead of failing on a read-to-write upgrade, so check-then-insert
is atomic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

BUSY_TIMEOUT_MS = 15_000

# Statements that change no data (anything else counts as a write, conservatively).
READING = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA", "SHOW", "SET")


def writes(statement: str) -> bool:
    """Whether a statement may change data."""
    return not statement.lstrip()[:9].upper().startswith(READING)


def configure(engine: Engine, immediate: bool) -> None:
    """The pragmas on every new connection of `engine`, and its `BEGIN` (IMMEDIATE to write)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.dialect.driver != "pysqlite":
            conn.exec_driver_sql(begin)
            return
        # (the writer's: one DB-API call without an execution context, ~5 % of a booking)
        try:
            conn.connection.driver_connection.execute(begin)
        except conn.dialect.loaded_dbapi.Error as e:  # (raised as Core would: "locked")
            raise DBAPIError.instance(begin, (), e, conn.dialect.loaded_dbapi.Error) from e
