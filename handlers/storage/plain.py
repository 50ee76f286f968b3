"""Core statements run as plain DB-API calls on SQLite's writer connection.

    PLAN = Plain(select(...).where(t.c.id == bindparam("pid")))
    rows = PLAN.rows(conn, {"pid": pid})           # named tuples, result types applied
    Plain(insert(t).inline(), keys=("id", "at")).run(conn, [{"id": ..., "at": ...}, ...])

Profiled under wrk -c32, SQLAlchemy's per-execution work (cache key, compiled-cache lookup,
parameter processing, its execution context and result) was ~half of the writer thread's
CPU, and the writer's thread is the one serial section of a booking. A `Plain` statement is
compiled once per dialect (SQL text, positional parameter order, the columns' bind and
result processors: UTC datetimes, JSON through the engine's orjson codec), then each run is
one `cursor.execute` / `executemany` on the connection's pysqlite connection, inside the
transaction the Core `Connection` began.

What it keeps: the engine's `before_cursor_execute` listeners see every statement (the
writer's write detection behind the answer-generation bump, the statement-count tests;
`context` is None), and a driver error is raised as SQLAlchemy's (an `IntegrityError` is
still `sqlalchemy.exc.IntegrityError`). Anywhere else (PostgreSQL, aiosqlite through
`run_sync`, an engine with `after_cursor_execute` listeners such as OpenTelemetry's, which
need an execution context) the statement runs through `Connection.execute` as before.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any] | None


class _Compiled(NamedTuple):
    sql: str
    order: tuple[tuple[str, Any, Processor], ...]  # (name, constant value, bind processor)
    row: Callable[..., Any] | None  # the result row type (SELECT only)
    results: tuple[Processor, ...]


def plain_ok(conn: Connection) -> bool:
    """Whether `conn` can take plain DB-API statements (a pysqlite connection whose engine
    wants no execution context from its events)."""
    return conn.dialect.driver == "pysqlite" and not conn.dispatch.after_cursor_execute


class Plain:
    """One Core statement, compiled once per dialect, run as a DB-API call (see the module)."""

    def __init__(self, statement: Executable, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self.keys = tuple(keys)  # an INSERT's columns, in every row (no defaults filled in)
        self._compiled: dict[int, tuple[Dialect, _Compiled]] = {}

    def run(self, conn: Connection, params: Mapping[str, Any] | list[dict[str, Any]]) -> None:
        """Execute (a list of rows: executemany)."""
        if not plain_ok(conn):
            conn.execute(self.statement, params)
            return
        c = self._for(conn.dialect)
        if isinstance(params, list):
            self._call(conn, c.sql, [_bound(c, p) for p in params], many=True)
        else:
            self._call(conn, c.sql, _bound(c, params), many=False)

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """A SELECT's rows, as named tuples with the columns' result types applied."""
        if not plain_ok(conn):
            return list(conn.execute(self.statement, params))
        c = self._for(conn.dialect)
        assert c.row is not None, "rows() of a statement that selects nothing"
        found = self._call(conn, c.sql, _bound(c, params), many=False).fetchall()
        return [
            c.row(*(v if p is None else p(v) for p, v in zip(c.results, r, strict=True)))
            for r in found
        ]

    def _call(self, conn: Connection, sql: str, params: Any, many: bool) -> Any:
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, many)
        try:
            return cursor.executemany(sql, params) if many else cursor.execute(sql, params)
        except conn.dialect.loaded_dbapi.Error as e:
            base = conn.dialect.loaded_dbapi.Error
            raise DBAPIError.instance(sql, params, e, base) from e

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(id(dialect))
        if found is None or found[0] is not dialect:
            found = (dialect, _compile(self.statement, self.keys, dialect))
            self._compiled[id(dialect)] = found
        return found[1]


def _bound(c: _Compiled, params: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (params[name] if name in params else const) if p is None else p(params.get(name, const))
        for name, const, p in c.order
    )


def _compile(statement: Executable, keys: tuple[str, ...], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)  # type: ignore[attr-defined]
    # (placeholders for the caller's parameters: this expands only the constant IN lists)
    wanted = {name: None for name, b in compiled.binds.items() if b.value is None or b.required}
    wanted.update(dict.fromkeys(keys))
    state = compiled.construct_expanded_state(wanted)
    original = {new: old for old, news in state.parameter_expansion.items() for new in news}
    order = []
    for name in state.positiontup or ():
        bind = compiled.binds[original.get(name, name)]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        order.append((name, state.parameters[name], processor))
    missing = [name for name, *_ in order if keys and name not in keys]
    if missing:  # (a column default would be filled in by SQLAlchemy, not here)
        raise ValueError(f"{statement}: no value for {missing}")
    row: Callable[..., Any] | None = None
    results: tuple[Processor, ...] = ()
    if isinstance(statement, Select):
        columns = list(statement.selected_columns)
        row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc,no-redef]
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
    return _Compiled(state.statement, tuple(order), row, results)
