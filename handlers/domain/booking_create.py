"""Creating a booking on Core statements (the hot write path of POST /v1/bookings).

Per booking on SQLite: one statement that reads the practitioner, the requested service,
its session types and whether the slot overlaps an active booking; the booking's insert.
On PostgreSQL with the exclusion constraint `OVERLAP_GUARD`: the plan (`PLAN_GUARDED`), then
the booking with its records in one statement; from the second booking of a practitioner,
service and session type on, the plan the first one kept, and the insert only where it still
holds (`KEPT_TAGGED`, `KEPT_SERVICE`): one statement. Without the constraint: the read taking
the practitioner's advisory lock (`PLAN_LOCKED`); the insert, which checks the overlap itself
(`INSERT_FREE`). Its outbox event and audit entry follow when the unit ends
(handlers.domain.unit; on PostgreSQL both in one statement, with the booking when there is
the constraint). No ORM object is loaded, flushed or even built: the booking is a
`BookingRow` of the values it inserted. On SQLite's writer the statements run as plain DB-API calls
(handlers.storage.plain). The functions are synchronous on a Core connection: the whole
unit runs in one call (handlers.domain.unit `write_once`, on SQLite one hop to the
database's writer thread).

Concurrency: writers of one practitioner's bookings are serialized before the overlap check,
on SQLite by `BEGIN IMMEDIATE` (one writer at a time), on PostgreSQL by the exclusion
constraint (it refuses the second of two overlapping bookings, whatever their order) or else
`pg_advisory_xact_lock` on the practitioner (held to the commit; the insert that checks the
overlap starts after it is granted, so it sees the bookings committed before). The
practitioner's row is not locked: profile edits and other practitioners' bookings do not
wait. The unique index on active (practitioner, start) stays the last line (its violation is
a 409 too).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from handlers.domain.cancellation_policy import DEFAULT_POLICY
from handlers.domain.errors import PractitionerUnavailable, Unprocessable
from handlers.domain.unit import SyncUnit
from handlers.storage.ids import new_id
from handlers.storage.models import Booking, Practitioner, PractitionerTag, Service
from handlers.storage.models.bookings import RELEASED
from handlers.storage.models.practitioners import SESSION_TYPE
from handlers.storage.plain import Plain
from kkcore.errors import Problem

# PostgreSQL's exclusion constraint on active bookings' ranges per practitioner (migration
# 0008): where it exists, a booking needs neither the advisory lock nor a transaction.
OVERLAP_GUARD = "ex_bookings_active_overlap"
# Any constant: the namespace of the per-practitioner advisory locks (with hashtext(id)).
BOOKING_LOCK = 0x6B6B_626B
_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:pid))")

_p, _s, _t, _b = (
    cast(Table, m.__table__) for m in (Practitioner, Service, PractitionerTag, Booking)
)
# One row (an outer join to the service); whether the practitioner offers the session type
# is a subquery, not a row per type: on SQLite's writer each row is a step of the driver, and
# each step gives the GIL away and waits to win it back from the busy event loop.
_OFFERS = (
    exists()
    .where(
        _t.c.practitioner_id == _p.c.id,
        _t.c.kind == SESSION_TYPE,
        _t.c.value == bindparam("session_type", type_=_t.c.value.type),
    )
    .label("offers")
)
_PLANNED = (
    *(_p.c.id, _p.c.user_id, _p.c.timezone, _p.c.price_amount, _p.c.price_currency),
    _p.c.accepting_bookings,
    _s.c.id.label("service_id"),
    _s.c.price_amount.label("service_price_amount"),
    _s.c.price_currency.label("service_price_currency"),
    _s.c.session_types,
    _OFFERS,
)
_FROM = _p.outerjoin(_s, and_(_s.c.id == bindparam("sid"), _s.c.practitioner_id == _p.c.id))


def _overlapping(pid: Any, start: Any, end: Any) -> Any:
    """Whether an active booking of the practitioner overlaps [start, end)."""
    return exists().where(
        _b.c.practitioner_id == pid,
        _b.c.status.not_in(RELEASED),
        _b.c.scheduled_at < end,
        _b.c.ends_at > start,
    )


# SQLite (the writer holds the file's write lock from BEGIN IMMEDIATE): the plan and whether
# the slot is taken, then the insert.
PLAN = (
    select(
        *_PLANNED,
        _overlapping(
            _p.c.id,
            bindparam("start", type_=_b.c.ends_at.type),
            bindparam("end", type_=_b.c.scheduled_at.type),
        ).label("taken"),
    )
    .select_from(_FROM)
    .where(_p.c.id == bindparam("pid"))
)
# PostgreSQL: two statements, two round trips (with BEGIN and COMMIT, four: eleven before,
# with the pool's pre-ping, the lock, the plan and each insert apart). The plan takes the
# practitioner's advisory lock as it reads; the overlap is checked by the insert itself,
# a statement that starts after the lock is granted, so it sees every booking committed
# before (a statement's snapshot is taken when it starts: the plan's own could not).
PLAN_LOCKED = (
    select(
        *_PLANNED,
        func.pg_advisory_xact_lock(
            BOOKING_LOCK, func.hashtext(bindparam("pid", type_=_p.c.id.type))
        ).label("locked"),
    )
    .select_from(_FROM)
    .where(_p.c.id == bindparam("pid"))
)
# The columns a new booking is inserted with, in order (the others start NULL).
INSERTED = (
    *("id", "user_id", "practitioner_id", "service_id", "payment_intent_id", "scheduled_at"),
    *("ends_at", "duration", "timezone", "status", "session_type", "notes", "location"),
    *("price_amount", "price_currency", "payment_status", "cancellation_policy"),
    *("created_at", "updated_at"),
)
INSERT = insert(_b).inline()  # (no RETURNING of its key: the caller made it)
_NEW = {k: bindparam(k, type_=_b.c[k].type) for k in INSERTED}
# PostgreSQL: the row, unless an active booking overlaps it (its id back when inserted).
INSERT_FREE = (
    insert(_b)
    .from_select(
        list(INSERTED),
        select(*_NEW.values()).where(
            ~_overlapping(_NEW["practitioner_id"], _NEW["scheduled_at"], _NEW["ends_at"])
        ),
    )
    .returning(_b.c.id)
)
_PLAN, _INSERT = Plain(PLAN), Plain(INSERT, keys=INSERTED)
# PostgreSQL with `OVERLAP_GUARD`: the plan alone (no lock; the constraint refuses an overlap).
PLAN_GUARDED = select(*_PLANNED).select_from(_FROM).where(_p.c.id == bindparam("pid"))
# PostgreSQL with `OVERLAP_GUARD`, a plan kept from an earlier booking of the same practitioner,
# service and session type (`Plans`): the booking and its records are inserted only where
# everything the plan decided, and every value taken from it, still holds, checked in the
# insert's own snapshot (handlers.storage.together `guard`). One statement a booking: the
# plan's round trip was a third of the booking's PostgreSQL statements and socket writes
# (bench/RESULTS.md, "Serve POST: one statement a booking").
_G = {
    "pid": bindparam("g_pid", type_=_p.c.id.type),
    "user": bindparam("g_user", type_=_p.c.user_id.type),
    "tz": bindparam("g_tz", type_=_p.c.timezone.type),
    "pa": bindparam("g_pa", type_=_p.c.price_amount.type),
    "pc": bindparam("g_pc", type_=_p.c.price_currency.type),
    "sid": bindparam("g_sid", type_=_s.c.id.type),
    "spa": bindparam("g_spa", type_=_s.c.price_amount.type),
    "spc": bindparam("g_spc", type_=_s.c.price_currency.type),
    "st": bindparam("g_st", type_=_t.c.value.type),
}
_STILL = (
    _p.c.id == _G["pid"],
    _p.c.accepting_bookings.is_(True),
    _p.c.user_id.is_not_distinct_from(_G["user"]),
    _p.c.timezone.is_not_distinct_from(_G["tz"]),
    _p.c.price_amount.is_not_distinct_from(_G["pa"]),
    _p.c.price_currency.is_not_distinct_from(_G["pc"]),
)
# (without a service: the practitioner offers the session type among its tags)
KEPT_TAGGED: ColumnElement[bool] = exists().where(
    *_STILL,
    exists().where(
        _t.c.practitioner_id == _p.c.id, _t.c.kind == SESSION_TYPE, _t.c.value == _G["st"]
    ),
)
# (with a service: it is the practitioner's, priced as kept, and offers the session type)
KEPT_SERVICE: ColumnElement[bool] = exists().where(
    *_STILL,
    _s.c.id == _G["sid"],
    _s.c.practitioner_id == _p.c.id,
    _s.c.price_amount.is_not_distinct_from(_G["spa"]),
    _s.c.price_currency.is_not_distinct_from(_G["spc"]),
    sql_cast(_s.c.session_types, JSONB).has_key(_G["st"]),
)
KEEP_PLANS = 4096  # kept plans a worker holds at most (then it starts over)
# A worker's kept plans: (practitioner, service, session type) -> the plan's row.
Plans = dict[tuple[str, str | None, str], Any]
# (typed Rows of 12 columns: mypy 2.4.1 crashes on them)
_PLAN_LOCKED: Executable = PLAN_LOCKED
_PLAN_GUARDED: Executable = PLAN_GUARDED
# A booking as its table's row (what `booking_resource` reads), without an ORM object.
BookingRow = namedtuple(  # type: ignore[misc]
    "BookingRow",
    [c.key for c in _b.columns],
    defaults=[None] * len(_b.columns),  # type: ignore[misc]
)


async def lock_practitioner(session: AsyncSession, pid: str) -> None:
    """Serialize the booking writes of one practitioner until the commit (PostgreSQL; on
    SQLite `BEGIN IMMEDIATE` already serializes every writer)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK, {"space": BOOKING_LOCK, "pid": pid})


def _missing(field: str, detail: str) -> Unprocessable:
    return Unprocessable(problems=[Problem(detail, pointer=f"/data/attributes/{field}")])


def _unavailable(pid: str, field: str, detail: str) -> PractitionerUnavailable:
    return PractitionerUnavailable(problems=[Problem(detail, pointer=f"/data/attributes/{field}")])


def _check(rows: list[Any], pid: str, sid: str | None, session_type: str) -> Any:
    """The practitioner's row, if it takes this booking (422 as `create` always answered)."""
    if not rows:
        raise _missing("practitioner_id", f"No practitioner {pid}")
    first = rows[0]
    if sid is not None and first.service_id is None:
        raise _missing("service_id", f"{pid} has no service {sid}")
    if sid is not None:
        offered = session_type in set(first.session_types or ())
    else:
        offered = bool(first.offers)
    if not first.accepting_bookings:
        raise _unavailable(pid, "practitioner_id", f"{pid} is not taking bookings")
    if not offered:
        raise _unavailable(pid, "session_type", f"{pid} does not offer {session_type} sessions")
    return first


def _guard(
    p: Any, sid: str | None, session_type: str
) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """The condition a booking on the kept plan `p` is inserted under, and its parameters."""
    params = {
        "g_pid": p.id,
        "g_user": p.user_id,
        "g_tz": p.timezone,
        "g_pa": p.price_amount,
        "g_pc": p.price_currency,
        "g_st": session_type,
    }
    if sid is None:
        return KEPT_TAGGED, params
    params |= {"g_sid": sid, "g_spa": p.service_price_amount, "g_spc": p.service_price_currency}
    return KEPT_SERVICE, params


def insert_booking(
    u: SyncUnit,
    user_id: str,
    attrs: dict[str, Any],
    end: datetime,
    guarded: bool,
    refused: Callable[[], Exception],
    plans: Plans | None = None,
) -> tuple[Any, Any]:
    """The new booking, a `BookingRow` (None when the slot is taken: the caller answers 409),
    and the practitioner's row it was checked against. `guarded` (PostgreSQL with the
    exclusion constraint `OVERLAP_GUARD`): the booking is inserted with the unit's records,
    in their one statement, and a refusal by the constraint raises `refused()` then; with
    `plans`, on a plan kept from an earlier booking when there is one (no plan's round trip:
    the insert checks that it still holds, and `StalePlan` has the unit run again afresh)."""
    conn = u.conn
    pid, sid, start = attrs["practitioner_id"], attrs.get("service_id"), attrs["scheduled_at"]
    session_type = attrs["session_type"]
    pg = conn.dialect.name == "postgresql"
    key = (pid, sid, session_type)
    keep = plans if guarded else None  # (only the constraint's one-statement path keeps plans)
    kept = None if keep is None or u.fresh else keep.get(key)
    if kept is not None:
        p = kept
    else:
        plan = {"pid": pid, "sid": sid, "start": start, "end": end, "session_type": session_type}
        rows: list[Any]
        if pg:
            rows = list(conn.execute(_PLAN_GUARDED if guarded else _PLAN_LOCKED, plan))
        else:
            rows = _PLAN.rows(conn, plan)
        if keep is not None:
            keep.pop(key, None)
        p = _check(rows, pid, sid, session_type)
        if not pg and p.taken:
            return None, p
        if keep is not None:
            if len(keep) >= KEEP_PLANS:
                keep.clear()
            keep[key] = p
    priced = sid is not None
    values: dict[str, Any] = {
        "id": new_id("booking"),
        "user_id": user_id,
        "practitioner_id": pid,
        "service_id": sid,
        "payment_intent_id": None,
        "scheduled_at": start,
        "ends_at": end,
        "duration": attrs["duration"],
        "timezone": p.timezone,
        "status": "pending",
        "session_type": attrs["session_type"],
        "notes": attrs.get("notes"),
        "location": attrs.get("location"),
        "price_amount": p.service_price_amount if priced else p.price_amount,
        "price_currency": p.service_price_currency if priced else p.price_currency,
        "payment_status": "pending",
        "cancellation_policy": DEFAULT_POLICY,  # (read-only: stored as JSON, never mutated)
        "created_at": u.now,
        "updated_at": u.now,
    }
    if guarded:
        u.insert(INSERT, values, refused, None if kept is None else _guard(p, sid, session_type))
        return BookingRow(**values), p
    try:
        if pg:
            if conn.execute(INSERT_FREE, values).first() is None:
                return None, p  # (an active booking overlaps the slot)
        else:
            _INSERT.run(conn, values)
    except IntegrityError:  # the unique index: a concurrent booking won the slot
        return None, p
    return BookingRow(**values), p
