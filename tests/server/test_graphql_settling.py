"""server.graphql_execution: an answer is sent only once the work graphql-core left running
in the background (the siblings of a field whose error nulled their parent) has ended, and a
cancelled request cancels that work instead of leaving it behind (issue 18: such a sibling
held a pooled connection while the app's database was closed)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from graphql import Executor, build_schema, execute, parse

from server.graphql_execution import LeanExecution

pytestmark = pytest.mark.anyio

SCHEMA = build_schema("type Query { items: [Item!] } type Item { name: String! }")
QUERY = parse("{ items { name } }")


class Sibling:
    """Two items: the first one's name takes a while, the second one's fails at once (a
    synchronous error: graphql-core then answers and settles the first in the background)."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.ended: str | None = None

    def name(self, item: str, _: Any) -> Any:
        if item == "fails":
            raise ValueError("refused")
        return self.slow(item)

    async def slow(self, item: str) -> str:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.ended = "cancelled"
            raise
        self.ended = "finished"
        return item

    def root(self) -> dict[str, Any]:
        return {"items": lambda _: ["slow", "fails"]}


async def run(executor: type[Executor[Any]], sibling: Sibling) -> Any:
    """The answer, as a server sends it (awaited when it is awaitable)."""
    resolvers = SCHEMA.type_map["Item"].fields  # type: ignore[union-attr]
    resolvers["name"].resolve = sibling.name
    try:
        result = execute(SCHEMA, QUERY, sibling.root(), executor_class=executor)
        return await result if inspect.isawaitable(result) else result
    finally:
        resolvers["name"].resolve = None


async def test_graphql_core_alone_answers_before_the_sibling_has_ended() -> None:
    sibling = Sibling()
    result = await run(Executor, sibling)
    assert result.data == {"items": None} and sibling.ended is None
    await asyncio.sleep(sibling.delay * 4)  # (let it end: nothing else would wait for it)


async def test_the_answer_waits_until_the_sibling_has_ended() -> None:
    sibling = Sibling()
    result = await run(LeanExecution, sibling)
    assert result.data == {"items": None}
    assert [e.message for e in result.errors] == ["refused"]
    assert sibling.ended == "finished"


async def test_a_cancelled_request_cancels_the_sibling_and_waits_for_its_clean_up() -> None:
    sibling = Sibling(delay=30)
    request = asyncio.ensure_future(run(LeanExecution, sibling))
    await asyncio.sleep(0.05)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert sibling.ended == "cancelled"
