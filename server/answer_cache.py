"""Read answers kept until the data under them changes (the real path's answer cache).

An app whose handlers read a database gives `runtime.extras["answers"]` an `AnswerSource`:
the operations whose answers may be kept, the database's write generation (a value every
committed write changes, shared by every worker: handlers.storage.generation) and how to put
a new request id and time into a kept body. A kept answer is used only when:

- the key matches: the operation, its validated parameters (per-request header parameters
  such as X-Request-ID left out) and the caller (subject, kind, type, tier, scopes, claims
  other than a token's own times and id);
- the generation is the one read *before* the answer was computed (any write since, by any
  worker, and it is computed again);
- its time has not come: code that reads the clock to decide an answer (a next free slot, a
  default date range) calls `valid_until(moment)`, or `not_cacheable()`, while it runs.

Only 200 answers with a JSON body are kept; headers that vary per request (X-Request-ID, rate
limits) are added by the pipeline outside the kept Reply. A kept answer is serialized once;
a hit splices the request's `meta` (its id and time, from `restamp`) into those bytes, which
are then the bytes an uncached answer would have (tests/handlers/test_answer_cache.py). The
store is a bounded LRU per process (`size` entries, bodies of at most `max_body` bytes when
serialized).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from server.identity import Identity
from server.responses import Reply

PER_REQUEST_PARAMS = frozenset({"x-request-id"})
TOKEN_CLAIMS = frozenset({"exp", "iat", "nbf", "jti", "auth_time"})


class Freshness:
    """How long the answer being computed stays true (None: until the next write)."""

    __slots__ = ("until", "never")

    def __init__(self) -> None:
        self.until: datetime | None = None
        self.never = False


_freshness: contextvars.ContextVar[Freshness | None] = contextvars.ContextVar(
    "kk_answer_freshness", default=None
)


def valid_until(moment: datetime) -> None:
    """The answer being computed changes at `moment` (by the clock): keep it until then."""
    found = _freshness.get()
    if found is not None and (found.until is None or moment < found.until):
        found.until = moment


def not_cacheable() -> None:
    """The answer being computed depends on the clock in a way no single moment bounds."""
    found = _freshness.get()
    if found is not None:
        found.never = True


def watching() -> tuple[Freshness, contextvars.Token[Freshness | None]]:
    """Start collecting freshness for an answer (tasks started from here share the holder)."""
    fresh = Freshness()
    return fresh, _freshness.set(fresh)


def stop_watching(token: contextvars.Token[Freshness | None]) -> None:
    _freshness.reset(token)


Restamp = Callable[[Any, str, datetime], Any]


@dataclass(slots=True)
class Kept:
    """A kept answer: its generation, its time, the Reply and its bytes split around the
    document's `meta` member (the only part `restamp` changes), so a hit splices the new
    meta in instead of serializing the whole document again."""

    generation: Hashable
    until: datetime | None
    reply: Reply
    head: bytes
    tail: bytes | None  # None: no `meta` member, `head` is the whole body


@dataclass
class AnswerSource:
    """What an app's handlers tell the cache (see the module's doc)."""

    generation: Callable[[], Awaitable[Hashable]]
    clock: Callable[[], datetime]
    operations: frozenset[str]
    restamp: Restamp
    size: int = 2048
    max_body: int = 256 * 1024
    enabled: bool = True
    kept: OrderedDict[Hashable, Kept] = field(default_factory=OrderedDict)
    # answers being computed, per key and generation: concurrent misses wait for one
    pending: dict[Hashable, tuple[Hashable, asyncio.Future[Kept | None]]] = field(
        default_factory=dict
    )


def caller_key(identity: Identity | None) -> Hashable:
    if identity is None:
        return None
    claims = {k: v for k, v in identity.claims.items() if k not in TOKEN_CLAIMS}
    return (
        identity.subject,
        identity.kind,
        identity.user_type,
        identity.tier,
        tuple(sorted(identity.scopes)),
        orjson.dumps(claims, option=orjson.OPT_SORT_KEYS, default=str),
    )


def params_key(params: dict[str, Any]) -> bytes:
    kept = {k: v for k, v in params.items() if k.lower() not in PER_REQUEST_PARAMS}
    return orjson.dumps(kept, option=orjson.OPT_SORT_KEYS, default=str)


Produce = Callable[[], Awaitable[Reply]]


async def answer(source: AnswerSource, key: Hashable, request_id: str, produce: Produce) -> Reply:
    """The kept answer for `key` if still valid, else `produce()`'s (kept when it may be).
    Requests that miss while the same answer is being computed wait for it (one computation
    per key and generation, not one per waiting client)."""
    generation = await source.generation()
    found = source.kept.get(key)
    if found is not None:
        if found.generation == generation and (found.until is None or source.clock() < found.until):
            source.kept.move_to_end(key)
            return _restamped(source, found, request_id)
        del source.kept[key]
    computing = source.pending.get(key)
    if computing is not None and computing[0] == generation:
        shared = await asyncio.shield(computing[1])
        if shared is not None:
            return _restamped(source, shared, request_id)
        return await produce()  # not keepable: each request computes its own
    future: asyncio.Future[Kept | None] = asyncio.get_running_loop().create_future()
    source.pending[key] = (generation, future)
    try:
        fresh, token = watching()
        try:
            reply = await produce()
        finally:
            stop_watching(token)
        kept = _keepable(source, generation, reply, fresh)
        if kept is not None:
            source.kept[key] = kept
            if len(source.kept) > source.size:
                source.kept.popitem(last=False)
            future.set_result(kept)
        return reply
    finally:
        if not future.done():
            future.set_result(None)
        if source.pending.get(key, (None, None))[1] is future:
            del source.pending[key]


def _restamped(source: AnswerSource, kept: Kept, request_id: str) -> Reply:
    reply = kept.reply
    body = source.restamp(reply.body, request_id, source.clock())
    if kept.tail is None:
        encoded = kept.head
    else:  # orjson writes a member's value alike alone or inside its document
        encoded = kept.head + orjson.dumps(body["meta"]) + kept.tail
    # Checked when its first answer passed response validation: the new id and time are
    # values of the same kinds, so it is not checked again.
    return Reply(reply.status, body, dict(reply.headers), reply.media_type, reply.checked, encoded)


# In place of `meta` while the kept document is serialized once (orjson escapes the NULs: no
# API value looks like it; a document that holds it anyway is not kept).
_MARK = "\x00kk:meta\x00"
_MARK_BYTES = orjson.dumps(_MARK)


def _keepable(
    source: AnswerSource, generation: Hashable, reply: Reply, fresh: Freshness
) -> Kept | None:
    body = reply.body
    if fresh.never or reply.status != 200 or not isinstance(body, dict):
        return None
    if fresh.until is not None and source.clock() >= fresh.until:
        return None
    if "meta" not in body:
        whole = orjson.dumps(body)
        return _within(source, Kept(generation, fresh.until, reply, whole, None), len(whole))
    raw = orjson.dumps({**body, "meta": _MARK})
    head, marked, tail = raw.partition(_MARK_BYTES)
    if not marked or _MARK_BYTES in tail:
        return None
    return _within(source, Kept(generation, fresh.until, reply, head, tail), len(raw))


def _within(source: AnswerSource, kept: Kept, size: int) -> Kept | None:
    return kept if size <= source.max_body else None


def keeping(
    op_id: str, method: str, source_of_handler: str, handler: Any, runtime_extras: Any
) -> Any:
    """`handler`, answering from the app's AnswerSource where the operation allows it."""
    source = runtime_extras.get("answers")
    if (
        not isinstance(source, AnswerSource)
        or op_id not in source.operations
        or method.upper() != "GET"
        or source_of_handler in ("mock", "501")
    ):
        return handler

    async def run(request: Any) -> Reply:
        if not source.enabled:
            return await handler(request)  # type: ignore[no-any-return]
        key = (op_id, params_key(request.params), caller_key(request.identity))
        return await answer(source, key, request.request_id, lambda: handler(request))

    return run


def graphql_answers(bounds: Any, source: Any, store: Any) -> None:
    """Keep /graphql query answers of an app on handlers: valid while the database's write
    generation (and the mock store's version, for the fields it answers) is unchanged."""
    if not isinstance(source, AnswerSource) or not source.enabled:
        return
    store_version = getattr(store, "data_version", None)
    generation = source.generation

    async def version() -> Hashable:
        return (await generation(), store_version() if store_version is not None else None)

    bounds.data_version = version
    bounds.answer_clock = source.clock
