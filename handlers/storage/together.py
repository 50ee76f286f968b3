"""Inserts into several tables as one PostgreSQL statement: one round trip, one snapshot.

    statement, params = together([(insert(bookings), [booking]), (insert(outbox), [event])])
    conn.execute(statement, params)
    # WITH w0 AS (INSERT INTO bookings ...) INSERT INTO outbox_events ...

Every insert but the last is a data-modifying CTE of the last (PostgreSQL runs each exactly
once, whether or not the statement reads it). The statement is built once per shape (the
tables, how many rows each, the columns given) with a bind parameter per value, so
SQLAlchemy's compiled cache and asyncpg's prepared statements are hit from the second unit
of a shape on. (SQLAlchemy never caches a multi-row `VALUES`, nor a statement holding one:
compiling each booking's statement anew took a quarter of a `kk serve` worker's CPU.)

As one statement it is atomic even without a transaction: a constraint that refuses any row
refuses them all (handlers.domain.unit `write_once(one_statement=True)`).

`guard`: a condition (with its parameters) the first part's row is inserted under, the other
parts only if it was; the statement then returns a row exactly when everything was written.
It is evaluated in the statement's own snapshot, so what it checks holds for what is written
(handlers.domain.booking_create: a booking on a plan kept from an earlier one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Table,
    bindparam,
    exists,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import Label

Rows = Sequence[Mapping[str, Any]]
Shape = tuple[tuple[Table, int, tuple[str, ...]], ...]


Guard = tuple[ColumnElement[bool], Mapping[str, Any]]


def together(
    parts: Sequence[tuple[Insert, Rows]], guard: Guard | None = None
) -> tuple[Executable, dict[str, Any]]:
    """One statement inserting every part's rows (in order), and its parameters; with a
    `guard` (a condition on one row of the first part, and the condition's parameters),
    only when it holds, and the statement returns a row then."""
    given = [(_table(s), rows) for s, rows in parts if rows]
    if not given:
        raise ValueError("nothing to insert")
    shape: Shape = tuple((table, len(rows), tuple(rows[0])) for table, rows in given)
    values = [
        row[k]
        for (_, rows), (_, _, keys) in zip(given, shape, strict=True)
        for row in rows
        for k in keys
    ]
    params = dict(zip(_names(shape), values, strict=True))
    if guard is None:
        return _statement(shape), params
    if shape[0][1] != 1:
        raise ValueError("a guard is on one row of the first part")
    return _guarded(shape, guard[0]), {**params, **guard[1]}


def _table(statement: Insert) -> Table:
    table = statement.table
    assert isinstance(table, Table), table
    return table


@lru_cache(maxsize=64)
def _names(shape: Shape) -> tuple[str, ...]:
    """The bind parameters of `shape`'s statement, in the order `together` lists values
    (built once per shape, not formatted per value per unit)."""
    return tuple(
        _name(i, j, key)
        for i, (_, count, keys) in enumerate(shape)
        for j in range(count)
        for key in keys
    )


def _name(i: int, j: int, key: str) -> str:
    return f"p{i}_{j}_{key}"


@lru_cache(maxsize=64)  # (a handful of shapes: a unit writes what its code path writes)
def _statement(shape: Shape) -> Executable:
    inserts = [_insert(i, table, count, keys) for i, (table, count, keys) in enumerate(shape)]
    last = inserts.pop()
    for i, first in enumerate(inserts):
        last = last.add_cte(first.cte(f"w{i}"))
    return last


@lru_cache(maxsize=16)  # (a guard is a module's constant: one statement per shape and guard)
def _guarded(shape: Shape, guard: ColumnElement[bool]) -> Executable:
    """`w0`: the first part's row where `guard` holds (returning a row when inserted); every
    other part's rows where `w0` returned one; the last returning a row when inserted."""
    table, _, keys = shape[0]
    row = [bindparam(_name(0, 0, k), type_=table.c[k].type) for k in keys]
    done: Label[Any] = literal_column("1").label("done")
    first = insert(table).from_select(list(keys), select(*row).where(guard)).returning(done)
    if len(shape) == 1:
        return first
    w0 = first.cte("w0")
    wrote = exists().select_from(w0)
    inserts = [_insert(i, t, count, k, wrote) for i, (t, count, k) in enumerate(shape) if i]
    last = inserts.pop().returning(done).add_cte(w0)
    for i, part in enumerate(inserts, 1):
        last = last.add_cte(part.cte(f"w{i}"))
    return last


def _insert(
    i: int,
    table: Table,
    count: int,
    keys: tuple[str, ...],
    where: ColumnElement[bool] | None = None,
) -> Insert:
    """Part `i`: one row is `VALUES (...)`; more are `SELECT ... UNION ALL SELECT ...`
    (SQLAlchemy does not cache a multi-row `VALUES`: it would be compiled every time)."""
    rows = [[bindparam(_name(i, j, k), type_=table.c[k].type) for k in keys] for j in range(count)]
    if where is not None:  # (each row only `where` it holds)
        picked = [select(*row).where(where) for row in rows]
        source = picked[0] if count == 1 else union_all(*picked)
        return insert(table).from_select(list(keys), source)
    if count == 1:
        return insert(table).values(dict(zip(keys, rows[0], strict=True)))
    return insert(table).from_select(list(keys), union_all(*(select(*row) for row in rows)))
