"""`Idempotency-Key` on POSTs: a retry answers the first answer, it never acts twice.

    @group.operation("confirmPaymentIntent")
    async def confirm(request):
        async def work(unit: Unit) -> Reply: ...      # the change, in the unit's transaction
        return await idempotent(request, work)

The key is claimed in the same transaction as the change it guards (a row of
`idempotency_keys`, unique per caller, operation and key), and the answer is stored in it
before the commit. So:

- same key, same request (hash of path parameters and body): the stored answer again, with
  `Idempotent-Replayed: true`; nothing is executed;
- same key, another request: 409 RESOURCE_CONFLICT (source.parameter Idempotency-Key);
- concurrent requests with one key: the unique index decides. The first executes; the others
  wait for its commit (PostgreSQL blocks the conflicting insert, SQLite serializes writers)
  and then replay its answer. If it fails and rolls back, the next one executes instead;
- answers that raise (validation errors, 404, 409) roll the claim back with the rest: a
  retry executes again. An answer the handler returns (a 2xx, a 402 decline that recorded
  the failed attempt) is stored for 24 hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import Connection, Row, Table, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from handlers.domain.context import domain_of
from handlers.domain.unit import SyncUnit, Unit, write, write_once
from handlers.storage.models import IdempotencyKey
from kkcore.errors import Conflict, Problem
from server.responses import Reply

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = timedelta(hours=24)
# Answer headers worth replaying (rate-limit and request-id headers are the new request's).
KEPT_HEADERS = ("Location",)
Work = Callable[[Unit], Awaitable[Reply]]
R = TypeVar("R")


def fingerprint(request: Any) -> str:
    """What makes two requests "the same": the operation's path parameters and body."""
    path = {p["name"] for p in request.operation["parameters"] if p["location"] == "path"}
    params = {k: v for k, v in dict(request.params).items() if k in path}
    raw = orjson.dumps({"params": params, "body": request.body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


async def idempotent(request: Any, work: Work) -> Reply:
    """Run `work` in one write unit, once per `Idempotency-Key` (see the module)."""
    domain = domain_of(request.services)
    actor, key = _caller(request)
    async with write(domain, actor=actor, request_id=request.request_id) as unit:
        if key is None:
            return await work(unit)
        scope = (actor or "anonymous", request.operation["operation_id"], key)
        digest = fingerprint(request)
        stored = await unit.session.run_sync(
            lambda s: claim(s.connection(), scope, digest, unit.now)
        )
        if stored is not None:
            return replay(stored)
        reply = await work(unit)
        await unit.session.run_sync(lambda s: remember(s.connection(), scope, reply))
        return reply


async def idempotent_once(
    request: Any,
    work: Callable[[SyncUnit], R],
    render: Callable[[R], Reply],
    one_statement: bool = False,
) -> Reply:
    """`idempotent` for a synchronous `work`: the claim, the work, the stored answer and the
    commit as one call (`write_once`: on SQLite one hop to the database's writer thread).
    `render` makes the answer of what `work` made: in the unit when a key stores it, else
    after the commit, out of the writer's queue. `one_statement`: `work` writes only its
    unit's rows (`write_once`); with a key the claim and the stored answer write too, so the
    unit is a transaction then."""
    domain = domain_of(request.services)
    actor, key = _caller(request)
    if key is None:
        made = await write_once(
            domain, work, actor=actor, request_id=request.request_id, one_statement=one_statement
        )
        return render(made)
    scope = (actor or "anonymous", request.operation["operation_id"], key)
    digest = fingerprint(request)

    def once(unit: SyncUnit) -> Reply:
        stored = claim(unit.conn, scope, digest, unit.now)
        if stored is not None:
            return replay(stored)
        reply = render(work(unit))
        remember(unit.conn, scope, reply)
        return reply

    return await write_once(domain, once, actor=actor, request_id=request.request_id)


def _caller(request: Any) -> tuple[str | None, str | None]:
    identity = request.identity
    return identity.subject if identity is not None else None, request.headers.get(HEADER.lower())


_KEYS = cast(Table, IdempotencyKey.__table__)
_SCOPE = ("owner", "operation", "key")


def _in(scope: tuple[str, str, str]) -> Any:
    return and_(*(_KEYS.c[name] == value for name, value in zip(_SCOPE, scope, strict=True)))


def claim(
    conn: Connection, scope: tuple[str, str, str], digest: str, now: datetime
) -> Row[Any] | None:
    """None when this request holds the key now; else the stored answer to replay."""
    values: dict[str, Any] = {
        **dict(zip(_SCOPE, scope, strict=True)),
        "request_hash": digest,
        "response_status": None,
        "response_body": None,
        "response_headers": {},
        "created_at": now,
        "expires_at": now + TTL,
    }
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(_KEYS).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=list(_SCOPE))
    if conn.execute(statement).rowcount == 1:
        return None
    row = _stored(conn, scope)
    if row.expires_at <= now:  # an expired key is free again (one taker wins the update)
        taken = conn.execute(
            update(_KEYS).where(_KEYS.c.id == row.id, _KEYS.c.expires_at <= now).values(**values)
        )
        if taken.rowcount == 1:
            return None
        row = _stored(conn, scope)
    if row.request_hash != digest:
        raise Conflict(
            problems=[
                Problem(
                    f"This {HEADER} was used for another request; use a new key",
                    parameter=HEADER,
                )
            ]
        )
    return row


def _stored(conn: Connection, scope: tuple[str, str, str]) -> Row[Any]:
    found = conn.execute(select(_KEYS).where(_in(scope))).first()
    if found is None or found.response_status is None:
        # Claims commit together with their answer, so neither can be seen here.
        raise Conflict(problems=[Problem("This request is still in progress", parameter=HEADER)])
    return found


def remember(conn: Connection, scope: tuple[str, str, str], reply: Reply) -> None:
    conn.execute(
        update(_KEYS)
        .where(_in(scope))
        .values(
            response_status=reply.status,
            # error replies come serialized (server.problems); stored as JSON all the same
            response_body=orjson.loads(reply.body) if isinstance(reply.body, bytes) else reply.body,
            response_headers={k: v for k, v in reply.headers.items() if k in KEPT_HEADERS},
        )
    )


def replay(row: Row[Any]) -> Reply:
    headers = {str(k): str(v) for k, v in (row.response_headers or {}).items()}
    headers[REPLAYED] = "true"
    return Reply(int(row.response_status or 200), row.response_body, headers)
