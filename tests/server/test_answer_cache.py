"""server.answer_cache: a kept answer is used only while the generation and its time hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.answer_cache import (
    AnswerSource,
    answer,
    caller_key,
    not_cacheable,
    params_key,
    valid_until,
)
from server.identity import Identity
from server.responses import Reply, encode

pytestmark = pytest.mark.anyio
T0 = datetime(2024, 1, 1, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.generation = 0
        self.now = T0
        self.computed = 0

    async def current(self) -> int:
        return self.generation

    def source(self) -> AnswerSource:
        def restamp(body: Any, request_id: str, now: datetime) -> Any:
            return {**body, "meta": {"request_id": request_id, "at": now.isoformat()}}

        return AnswerSource(self.current, lambda: self.now, frozenset({"op"}), restamp, size=4)

    def produce(self, rid: str, then: Any = None) -> Any:
        async def run() -> Reply:
            self.computed += 1
            if then is not None:
                then()
            body = {"data": self.computed, "meta": {"request_id": rid, "at": self.now.isoformat()}}
            return Reply(200, body)

        return run


async def test_a_kept_answer_is_used_until_the_generation_changes() -> None:
    world, source = World(), None
    source = world.source()
    first = await answer(source, "k", "r1", world.produce("r1"))
    again = await answer(source, "k", "r2", world.produce("r2"))
    assert world.computed == 1
    assert again.body == {"data": 1, "meta": {"request_id": "r2", "at": T0.isoformat()}}
    assert first.body["meta"]["request_id"] == "r1"  # the kept one is not changed by a hit
    world.generation += 1
    after = await answer(source, "k", "r3", world.produce("r3"))
    assert (world.computed, after.body["data"]) == (2, 2)


async def test_an_answer_computed_while_a_write_commits_is_not_used_after_it() -> None:
    world = World()
    source = world.source()

    def write_meanwhile() -> None:
        world.generation += 1

    await answer(source, "k", "r1", world.produce("r1", write_meanwhile))
    await answer(source, "k", "r2", world.produce("r2"))
    assert world.computed == 2


async def test_an_answer_expires_at_the_moment_its_code_named() -> None:
    world = World()
    source = world.source()
    await answer(source, "k", "r", world.produce("r", lambda: valid_until(T0 + timedelta(hours=1))))
    world.now = T0 + timedelta(minutes=59)
    await answer(source, "k", "r", world.produce("r"))
    assert world.computed == 1
    world.now = T0 + timedelta(hours=1)
    await answer(source, "k", "r", world.produce("r"))
    assert world.computed == 2


async def test_an_answer_that_cannot_be_bounded_is_never_kept() -> None:
    world = World()
    source = world.source()
    for _ in range(2):
        await answer(source, "k", "r", world.produce("r", not_cacheable))
    assert world.computed == 2


async def test_errors_are_not_kept_and_the_store_is_bounded() -> None:
    world = World()
    source = world.source()

    async def missing() -> Reply:
        world.computed += 1
        return Reply(404, {"errors": []})

    for _ in range(2):
        await answer(source, "gone", "r", missing)
    assert world.computed == 2
    for n in range(10):
        await answer(source, n, "r", world.produce("r"))
    assert len(source.kept) == 4


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    # (the marker's own text is in the alphabet too: such a document is simply not kept)
    | st.lists(st.sampled_from(["a", "é", '"', "\\", "\x00", "kk:meta", "\u2028", "{"])).map(
        "".join
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
REQUEST_IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}\Z")


@given(
    data=st.dictionaries(st.text(max_size=5), JSON, max_size=4),
    meta=st.dictionaries(st.text(max_size=5), JSON, max_size=3),
    meta_first=st.booleans(),
    ids=st.lists(REQUEST_IDS, min_size=2, max_size=3),
)
def test_a_kept_answers_spliced_bytes_are_the_serialized_restamped_document(
    data: dict[str, Any], meta: dict[str, Any], meta_first: bool, ids: list[str]
) -> None:
    import asyncio

    meta = {**meta, "request_id": ids[0], "at": T0.isoformat()}
    body = {"meta": meta, **data} if meta_first else {**data, "meta": meta}
    world = World()
    source = world.source()

    async def produce() -> Reply:
        world.computed += 1
        return Reply(200, body)

    async def run() -> list[Reply]:
        return [await answer(source, "k", rid, produce) for rid in ids]

    replies = asyncio.run(run())
    for rid, reply in zip(ids, replies, strict=True):
        assert reply.body["meta"]["request_id"] == rid
        assert encode(reply) == orjson.dumps(reply.body)
    assert world.computed in (1, len(ids))  # kept, unless the document held the marker
    assert replies[-1].encoded is not None or world.computed == len(ids)


def test_callers_differ_by_scopes_and_claims_but_not_by_token_times() -> None:
    a = Identity("u1", frozenset({"read"}), claims={"exp": 1, "iat": 1, "org": "x"})
    b = Identity("u1", frozenset({"read"}), claims={"exp": 2, "iat": 2, "org": "x"})
    c = Identity("u1", frozenset({"read", "write"}), claims={"org": "x"})
    d = Identity("u1", frozenset({"read"}), claims={"org": "y"})
    assert caller_key(a) == caller_key(b)
    assert len({caller_key(a), caller_key(c), caller_key(d), caller_key(None)}) == 4


def test_the_request_id_parameter_is_not_part_of_the_key() -> None:
    one = params_key({"limit": 20, "X-Request-ID": "a"})
    assert one == params_key({"X-Request-ID": "b", "limit": 20})
    assert one != params_key({"limit": 21})


async def test_concurrent_misses_compute_the_answer_once_and_each_gets_its_own_request_id() -> None:
    import asyncio

    world = World()
    source = world.source()
    gate = asyncio.Event()

    async def slow() -> Reply:
        world.computed += 1
        await gate.wait()
        return Reply(200, {"data": 1, "meta": {"request_id": "r0", "at": T0.isoformat()}})

    tasks = [asyncio.ensure_future(answer(source, "k", f"r{n}", slow)) for n in range(5)]
    await asyncio.sleep(0.01)
    gate.set()
    replies = await asyncio.gather(*tasks)
    assert world.computed == 1
    assert [r.body["meta"]["request_id"] for r in replies] == ["r0", "r1", "r2", "r3", "r4"]


async def test_a_kept_graphql_answer_is_not_sent_to_credentials_that_no_longer_hold() -> None:
    import orjson
    from graphql import parse

    from server.graphql_http import AnswerCache, BodyLimit

    calls: list[int] = []
    valid = {"ok": True}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        calls.append(1)
        body = orjson.dumps({"data": {"n": len(calls)}})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async def credentials_ok(scope: Any) -> bool:
        return valid["ok"]

    async def version() -> int:
        return 0

    cache = AnswerCache(version, parse, credentials_ok=credentials_ok)
    limited = BodyLimit(app, cache=cache)
    request = orjson.dumps({"query": "{ n }"})
    scope = {"type": "http", "method": "POST", "headers": [(b"authorization", b"Bearer t")]}

    async def call() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": request, "more_body": False}

        async def send(message: Any) -> None:
            return None

        await limited(dict(scope), receive, send)

    await call()
    await call()
    assert len(calls) == 1  # kept
    valid["ok"] = False
    await call()
    assert len(calls) == 2  # the app answers (and refuses) an expired or revoked token
