"""A sandbox reset (handlers.storage.reseed) leaves the rows a fresh seed stores, whatever was
written before, and from the second reset of a plan on without the loaders."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from handlers import lifecycle
from handlers.domain.context import domain_of
from handlers.storage import reseed as reseed_module
from handlers.storage import seed
from handlers.storage.database import DB_FILE, Database
from handlers.storage.migrate import upgrade
from handlers.storage.models import Base
from kkapp.config import AppConfig
from kkapp.factory import Built
from tests.seeded import seeded_build, template
from tests.test_seeded_template import rows, seed_time_free


def _columns() -> dict[str, list[tuple[str, str]]]:
    """Every table's columns and their SQL types (from the models: nothing built at import)."""
    return {
        t.name: [(c.name, "INTEGER" if c.type.python_type is int else "") for c in t.columns]
        for t in Base.metadata.sorted_tables
    }


COLUMNS = _columns()


class Sandbox:
    """A seeded sandbox app and the event loop its database pool lives on."""

    def __init__(self, data_dir: Path) -> None:
        self.file = data_dir / DB_FILE
        self.built: Built = seeded_build(AppConfig("sandbox", data_dir=str(data_dir)))
        self.domain = domain_of(self.built.runtime.extras)
        self.runner = asyncio.Runner()
        self.runner.run(self.domain.db.open())

    def reset(self) -> None:
        self.runner.run(lifecycle.reset(self.built.runtime))

    def write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Writes behind the app's back (foreign keys off: any row may go)."""
        with sqlite3.connect(self.file) as db:
            for sql, args in statements:
                db.execute(sql, args)
        db.close()

    def close(self) -> None:
        self.runner.run(self.domain.db.close())
        self.runner.close()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    made = Sandbox(tmp_path)
    yield made
    made.close()


def a_write(table: str) -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    """Delete a row, or every row, or add a copy of a row under a new id (where no other
    unique column forbids it)."""
    one = f'DELETE FROM "{table}" WHERE rowid = (SELECT min(rowid) FROM "{table}")'
    found = [st.just((one, ())), st.just((f'DELETE FROM "{table}"', ()))]
    types = dict(COLUMNS[table])
    if "id" in types:
        new_id = "id || ?"
        if types["id"] == "INTEGER":
            new_id = f'(SELECT max(id) FROM "{table}") + length(?)'
        names = ", ".join(f'"{c}"' for c in types)
        values = ", ".join(new_id if c == "id" else f'"{c}"' for c in types)
        add = f'INSERT OR IGNORE INTO "{table}" ({names}) SELECT {values} FROM "{table}" LIMIT 1'
        found.append(st.tuples(st.just(add), st.tuples(st.text("xyz", min_size=1, max_size=4))))
    return st.one_of(found)


writes = st.lists(st.sampled_from(sorted(COLUMNS)).flatmap(a_write), min_size=1, max_size=6)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statements=writes)
def test_after_any_writes_a_reset_leaves_exactly_the_rows_of_a_fresh_seed(
    sandbox: Sandbox, statements: list[tuple[str, tuple[Any, ...]]]
) -> None:
    sandbox.write(statements)
    sandbox.reset()
    assert rows(sandbox.file) == rows(template())


def test_a_second_reset_stores_the_same_rows_without_the_loaders(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.reset()  # the first loads through the loaders and keeps what they stored
    sandbox.write([("DELETE FROM practitioners", ()), ("DELETE FROM webhooks", ())])
    calls = []
    for kind, load in list(seed.LOADERS.items()):

        async def counted(*args: Any, load: Any = load, kind: str = kind) -> bool:
            calls.append(kind)
            return bool(await load(*args))

        monkeypatch.setitem(seed.LOADERS, kind, counted)
    sandbox.reset()
    assert calls == []
    assert rows(sandbox.file) == rows(template())


def test_a_reset_stores_times_and_secrets_anew_as_a_fresh_seed_does(sandbox: Sandbox) -> None:
    first = now()
    sandbox.reset()
    before = stored(sandbox.file)
    second = now()
    sandbox.reset()
    after = stored(sandbox.file)
    assert after["secrets"] and after["secrets"].isdisjoint(before["secrets"])
    for was, now_is in zip(before["created"], after["created"], strict=True):
        if was < first:  # the spec's own time of the record: kept
            assert now_is == was
        else:  # the time the first reset stored it: now the second's
            assert now_is >= second
    moved = [t for t in before["created"] if t >= first]
    assert moved and sorted(moved) == moved  # (stored in id order; that order is kept)
    assert [t for t in after["created"] if t >= second] == sorted(
        t for t in after["created"] if t >= second
    )


def now() -> str:
    """The wall clock as SQLite holds a stored time."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ")


def stored(file: Path) -> dict[str, Any]:
    with sqlite3.connect(file) as db:
        secrets = {s for (s,) in db.execute("SELECT secret FROM webhooks")}
        created = [c for (c,) in db.execute("SELECT created_at FROM practitioners ORDER BY id")]
        spec_times = sorted(db.execute("SELECT id, created_at FROM bookings"))
    db.close()
    return {"secrets": secrets, "created": created, "spec_times": spec_times}


def test_a_changed_seed_is_loaded_through_the_loaders_again(sandbox: Sandbox) -> None:
    sandbox.reset()
    options = dict(sandbox.domain.options)
    sandbox.domain.options = {**options, "seed_count": 2}
    sandbox.reset()
    with sqlite3.connect(sandbox.file) as db:
        (count,) = db.execute("SELECT count(*) FROM practitioners").fetchone()
    db.close()
    assert count < len(rows(template())["practitioners"])
    sandbox.domain.options = options
    sandbox.reset()
    assert rows(sandbox.file) == rows(template())


@pytest.mark.anyio
async def test_on_either_database_a_kept_reset_stores_what_the_loaders_stored(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reseed_module, "_KEPT", {})  # this process's first reset of the plan
    db = Database(backend_url)
    try:
        await db.open()
        await upgrade(db)
        plan = seed.plan(Path("spec/openapi.yaml"))
        await reseed_module.reseed(db, plan, 0)  # through the loaders
        loaded = await contents(db)
        await reseed_module.reseed(db, plan, 0)  # from the kept rows
        assert await contents(db) == loaded
        assert len(loaded["practitioners"]) > 50
    finally:
        await db.close()


async def contents(db: Database) -> dict[str, list[str]]:
    """Every table's rows, stored times and drawn secrets masked (tests/test_seeded_template)."""
    found = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table))
            found[table.name] = sorted(
                repr(tuple(seed_time_free(masked(v)) for v in row)) for row in result
            )
    return found


def masked(value: object) -> object:
    if isinstance(value, datetime) and abs(datetime.now(UTC) - value) < timedelta(hours=1):
        return "<seeded at>"
    return value
