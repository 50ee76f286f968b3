"""graphql-core's executor, leaner where a request's profile showed it paying for nothing,
and finished only when all its work is.

graphql-core answers as soon as an error reaches a non-null parent, and leaves the sibling
fields still running to settle in the background. A sibling holds what it reads with (a
pooled database connection): an app shut down right after the answer (a test's database
closed, a lifespan ending) disposed the pool under it, and the connection, checked in to
nothing, was left to the garbage collector. So an execution here ends when its background
work has settled: the answer is sent after the siblings' reads, never before their
connections are returned. A resolver's own background work (handlers.graphql.batch's
fetches) is tracked the same way, through `info.async_helpers.track`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeGuard, TypeVar

from graphql import Executor
from graphql.pyutils import is_awaitable

T = TypeVar("T")

# Values a resolver returns that are never awaitable: graphql-core asks of every field's
# value (~1,000 times for a page of 20), and its generic test costs a failed attribute lookup.
_PLAIN = frozenset({str, int, float, bool, dict, list, type(None)})


def _awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return type(value) not in _PLAIN and is_awaitable(value)


class LeanExecution(Executor[Any]):
    """graphql-core's execution with the awaitable test above, settled before it answers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _awaitable

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            return self._settled(result)
        if self.background_futures:  # (a synchronous error left asynchronous siblings)
            return self._settled(_ready(result))
        return result

    async def _settled(self, result: Awaitable[T]) -> T:
        try:
            return await result
        except asyncio.CancelledError:
            self._cancel_leftovers()
            raise
        finally:
            await self._settle()

    async def _settle(self) -> None:
        try:
            while self.background_futures:
                await asyncio.wait(list(self.background_futures))
        except asyncio.CancelledError:
            self._cancel_leftovers()
            raise

    def _cancel_leftovers(self) -> None:
        """The request is gone: its leftover work is cancelled too (each field's clean-up
        still returns its connection), not left running with nobody to answer."""
        for future in self.background_futures:
            future.cancel()


async def _ready(value: T) -> T:
    return value
