"""graphql-core's executor, leaner where a request's profile showed it paying for nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeGuard

from graphql import Executor
from graphql.pyutils import is_awaitable

# Values a resolver returns that are never awaitable: graphql-core asks of every field's
# value (~1,000 times for a page of 20), and its generic test costs a failed attribute lookup.
_PLAIN = frozenset({str, int, float, bool, dict, list, type(None)})


def _awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return type(value) not in _PLAIN and is_awaitable(value)


class LeanExecution(Executor[Any]):
    """graphql-core's execution with the awaitable test above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _awaitable
