"""handlers.storage.plain: a Core statement run as a DB-API call stores and reads exactly
what SQLAlchemy's own execution does, announces itself to the engine's listeners, and
raises SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from handlers.storage import jsoncolumns
from handlers.storage.models.base import UTCDateTime
from handlers.storage.plain import Plain, plain_ok

meta = MetaData()
T = Table(
    "t",
    meta,
    Column("id", String(16), primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
    Column("data", JSON, nullable=True),
    Column("n", Integer, nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("kind", String(8), nullable=True),
)
KEYS = ("id", "at", "data", "n", "flag", "kind")
INSERT = insert(T).inline()
# typed parameters, a constant IN list (expanded once) and a column label
FIND = select(T.c.id, T.c.at, T.c.data, T.c.n.label("count"), T.c.flag).where(
    T.c.kind.not_in(["gone", "old"]),
    T.c.at >= bindparam("since", type_=T.c.at.type),
    T.c.id != bindparam("skip"),
)
PLAIN_INSERT, PLAIN_FIND = Plain(INSERT, keys=KEYS), Plain(FIND)
NONE = {"flag": None, "kind": None}
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)  # (valid UTF-8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner),
    max_leaves=6,
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "at": moments,
            # (documents, as the handlers store: a bare number comes back from SQLite's
            # NUMERIC affinity as a number, which orjson's decoder refuses on either path)
            "data": st.none()
            | st.lists(json_values, max_size=3)
            | st.dictionaries(text, json_values),
            "n": st.none() | st.integers(-1000, 1000),
            "flag": st.none() | st.booleans(),
            "kind": st.sampled_from(["new", "gone", "old", None]),
        }
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite+pysqlite://", **jsoncolumns.CODEC)
    meta.create_all(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def numbered(found: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}", **row} for i, row in enumerate(found)]


@settings(max_examples=40, deadline=None)
@given(found=rows, since=moments)
def test_plain_statements_store_and_read_what_core_does(
    connection: Connection, found: list[dict[str, Any]], since: datetime
) -> None:
    conn = connection
    assert plain_ok(conn)
    with conn.begin() as tx:
        if found:
            conn.execute(INSERT, numbered(found, "core"))
        core = [tuple(r) for r in conn.execute(FIND, {"since": since, "skip": "-"})]
        conn.execute(T.delete())
        PLAIN_INSERT.run(conn, numbered(found, "core"))  # (executemany)
        plain = [tuple(r) for r in PLAIN_FIND.rows(conn, {"since": since, "skip": "-"})]
        stored = conn.execute(select(T).order_by(T.c.id)).all()
        tx.rollback()
    assert sorted(plain, key=str) == sorted(core, key=str)
    assert len(stored) == len(found)
    expected = sorted(numbered(found, "core"), key=lambda r: str(r["id"]))
    for row, given_ in zip(stored, expected, strict=True):
        assert row.at == given_["at"] and row.at.tzinfo is not None  # UTC, the same moment
        assert (row.data, row.n, row.flag, row.kind) == tuple(
            given_[k] for k in ("data", "n", "flag", "kind")
        )


def test_plain_rows_are_named_like_the_selected_columns(connection: Connection) -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    with connection.begin() as tx:
        values = {"id": "a", "at": at, "data": {"x": [1]}, "n": 2, "flag": None, "kind": "new"}
        PLAIN_INSERT.run(connection, values)
        (row,) = PLAIN_FIND.rows(connection, {"since": at, "skip": "b"})
        tx.rollback()
    assert (row.id, row.at, row.data, row.count, row.flag) == ("a", at, {"x": [1]}, 2, None)


def test_listeners_see_each_plain_statement_and_errors_are_sqlalchemys(
    connection: Connection,
) -> None:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        with connection.begin() as tx:
            values = {"id": "dup", "at": None, "data": None, "n": None, **NONE}
            PLAIN_INSERT.run(connection, values)
            with pytest.raises(IntegrityError):
                PLAIN_INSERT.run(connection, values)
            tx.rollback()
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(seen) == 2 and all(s.startswith("INSERT INTO t") for s in seen)


def test_an_engine_that_wants_execution_contexts_gets_core_execution() -> None:
    engine = create_engine("sqlite+pysqlite://", **jsoncolumns.CODEC)
    meta.create_all(engine)
    contexts: list[Any] = []
    event.listen(engine, "after_cursor_execute", lambda *a: contexts.append(a[4]))
    with engine.begin() as conn:
        assert not plain_ok(conn)  # (OpenTelemetry's spans live on the execution context)
        PLAIN_INSERT.run(conn, {"id": "a", "at": None, "data": None, "n": 1, **NONE})
        assert conn.execute(select(T.c.n)).scalar_one() == 1
    engine.dispose()
    assert contexts and contexts[0] is not None


def test_an_insert_missing_a_column_of_its_keys_is_refused_when_compiled(
    connection: Connection,
) -> None:
    short = Plain(insert(T).values(id=bindparam("id"), n=bindparam("count")), keys=("id",))
    with connection.begin() as tx, pytest.raises(ValueError, match="no value for"):
        short.run(connection, {"id": "x", "count": 1})
    assert not tx.is_active
