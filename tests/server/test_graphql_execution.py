"""server.graphql_execution: the lean awaitable test agrees with graphql-core's."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql.pyutils import is_awaitable
from hypothesis import given
from hypothesis import strategies as st

from server.graphql_execution import _awaitable

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@given(VALUES)
def test_plain_values_are_never_awaitable(value: Any) -> None:
    assert _awaitable(value) is False and not is_awaitable(value)


def test_coroutines_and_futures_are_awaitable() -> None:
    async def field() -> int:
        return 1

    coroutine = field()
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()
        assert _awaitable(coroutine) and _awaitable(future)
        assert not _awaitable(object()) and not _awaitable((1, 2))
    finally:
        coroutine.close()
        loop.close()
