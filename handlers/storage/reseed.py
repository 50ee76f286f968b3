"""The sandbox reset: every table emptied and the seed loaded again, fast after the first time.

Loading the seed through the domain's loaders (ORM objects, a lookup before each insert) costs
about half a second of CPU for some 80 records and the rows they make: thousands of statements,
each a hop to the database driver's thread. The seed of one plan is the same every time but for
two things, so the process keeps the rows its first reset of a plan stored (read back in the
same transaction) and later resets, of any app, write those rows again with one bulk insert
per table (Core executemany, one write unit: on SQLite one hop to the writer thread). What
differs from one seeding to the next is renewed as a fresh load would make it:

- the time rows were stored (`created_at` defaults, a loader's `utc_now()`): every stored time
  inside the first load's window moves by the time since, keeping their order;
- values a loader draws at random (a seeded webhook's signing secret): columns registered with
  `renewed(column, make)` get `make()` again.

Kept rows belong to one plan (its records, counts and rng seed, by content): a changed spec or
seed count reloads through the loaders and keeps the new rows instead.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Connection, Table, null, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage import seed
from handlers.storage.database import Database
from handlers.storage.models import Base
from handlers.storage.models.base import utc_now

Row = dict[str, Any]
# A kept row: its values, and its JSON columns that hold SQL NULL (not JSON `null`: both read
# as None, and a None written to a JSON column is stored as JSON `null`).
Kept = tuple[Row, frozenset[str]]
# Columns whose seeded value a loader draws at random, and how to draw a new one.
RENEWED: dict[Column[Any], Callable[[], Any]] = {}


def renewed(column: Any, make: Callable[[], Any]) -> None:
    """Declare that a seed loader fills `column` with `make()` (a fresh value each seeding)."""
    RENEWED[column] = make


@dataclass
class _Kept:
    """The rows one plan's load stored, and the wall-clock window it stored them in."""

    rows: list[tuple[Table, list[Kept]]]
    started: datetime
    finished: datetime


# The kept rows by (plan fingerprint, dialect), shared by the apps of the process: a load into
# emptied tables stores the same rows whatever the database. A few plans at most.
_KEPT: dict[tuple[str, str], _Kept] = {}
KEEP_PLANS = 4


def fingerprint(plan: seed.SeedPlan, rng_seed: int) -> str:
    content = [plan.records, sorted(plan.generate.items()), plan.vocabularies, rng_seed]
    encoded = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


async def reseed(db: Database, plan: seed.SeedPlan, rng_seed: int) -> None:
    """Every table emptied, then the plan's seed stored, in one transaction."""
    key = (fingerprint(plan, rng_seed), db.dialect)
    found = _KEPT.get(key)
    if found is not None:
        await db.run_unit(lambda conn: _replay(conn, db.dialect, found))
        return
    started = utc_now()
    async with db.transaction() as session:
        await seed.exclusive(db, session)
        for statement in seed.emptying():
            await session.execute(statement)
        await seed.load_into(session, plan, rng_seed)
        rows = await _read_all(session, db.dialect)
    while len(_KEPT) >= KEEP_PLANS:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[key] = _Kept(rows, started, utc_now())


async def _read_all(session: AsyncSession, dialect: str) -> list[tuple[Table, list[Kept]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        names = [c.name for c in table.columns]
        jsons = [c for c in table.columns if isinstance(c.type, JSON)]
        flags = [c.is_(None).label(f"kk_sql_null_{i}") for i, c in enumerate(jsons)]
        order = [text("rowid")] if dialect == "sqlite" else []  # (as stored)
        result = await session.execute(select(table, *flags).order_by(*order))
        kept = []
        for row in result:
            flagged = zip(jsons, row[len(names) :], strict=True)
            nulls = frozenset(c.name for c, is_null in flagged if is_null)
            kept.append((dict(zip(names, row[: len(names)], strict=True)), nulls))
        found.append((table, kept))
    return found


def _replay(conn: Connection, dialect: str, kept: _Kept) -> None:
    if dialect == "postgresql":  # (as seed.load: one seeding at a time across workers)
        conn.execute(seed.EXCLUSIVE)
    for statement in seed.emptying():
        conn.execute(statement)
    shift = utc_now() - kept.started
    for table, rows in kept.rows:
        # in the order they were stored, a run of rows with the same SQL NULLs per statement
        for nulls, run in itertools.groupby(rows, key=lambda kept_row: kept_row[1]):
            insert = table.insert().values({name: null() for name in nulls})
            values = [_renew(table, row, nulls, kept, shift) for row, _ in run]
            conn.execute(insert, values)


def _renew(table: Table, row: Row, nulls: frozenset[str], kept: _Kept, shift: timedelta) -> Row:
    fresh = {name: value for name, value in row.items() if name not in nulls}
    for column in table.columns:
        value = fresh.get(column.name)
        if isinstance(value, datetime) and value.tzinfo and kept.started <= value <= kept.finished:
            fresh[column.name] = value + shift
    for column, make in RENEWED.items():
        if column.table is table:
            fresh[column.name] = make()
    return fresh
