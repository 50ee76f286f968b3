"""handlers.graphql.batch: a batch's fetch is the execution's work, so the answer waits for it
even when every field that asked for it was cancelled (a sibling's error in
`info.async_helpers.gather`): its database session is closed before the request ends
(issue 18), not left running in an untracked task."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from graphql import build_schema, execute, parse

from handlers.graphql.batch import batch
from server.graphql_execution import LeanExecution

pytestmark = pytest.mark.anyio

SDL = "type Query { pair: String, one: String }"


class Fetches:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.ended = False

    async def fetch(self, keys: Sequence[str]) -> Mapping[str, str]:
        self.calls.append(list(keys))
        await asyncio.sleep(0.05)
        self.ended = True
        return {k: k.upper() for k in keys}


async def answer(query: str, fetches: Fetches) -> Any:
    async def refused() -> None:
        raise ValueError("refused")

    async def pair(_: Any, info: Any) -> str:
        loaded = batch(info, "names", fetches.fetch).load("a")
        await info.async_helpers.gather([loaded, refused()])
        return "never"

    async def one(_: Any, info: Any) -> str | None:
        found: str | None = await batch(info, "names", fetches.fetch).load("b")
        return found

    schema = build_schema(SDL)
    fields = schema.query_type.fields  # type: ignore[union-attr]
    fields["pair"].resolve, fields["one"].resolve = pair, one
    result = execute(schema, parse(query), None, {}, executor_class=LeanExecution)
    return await result if inspect.isawaitable(result) else result


async def test_the_answer_waits_for_a_fetch_whose_fields_were_cancelled() -> None:
    fetches = Fetches()
    result = await answer("{ pair }", fetches)
    assert [e.message for e in result.errors] == ["refused"]
    assert fetches.calls == [["a"]] and fetches.ended


async def test_keys_asked_for_in_one_tick_are_fetched_together() -> None:
    fetches = Fetches()
    result = await answer("{ one again: one }", fetches)
    assert result.data == {"one": "B", "again": "B"} and fetches.calls == [["b"]]
