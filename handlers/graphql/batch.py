"""Per-request batch loading for GraphQL resolvers (no N+1): the keys that sibling fields
ask for in one tick of the event loop are fetched with one call, and remembered for the
rest of the request.

    user = await batch(info, "users", fetch_users).load("user_1")

A fetch runs in a task of its own (no one field owns it), tracked as the execution's work
(`info.async_helpers.track`): the request is answered only once it has ended, even when
the fields that waited for it were cancelled (server.graphql_execution), so its database
session is always closed by then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from graphql import GraphQLResolveInfo

from handlers.domain.caller import Caller
from handlers.domain.context import Domain, domain_of

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[Sequence[K]], Awaitable[Mapping[K, V]]]


class Batch(Generic[K, V]):
    def __init__(self, fetch: Fetch[K, V], track: Callable[[Sequence[Any]], None]) -> None:
        self.fetch = fetch
        self.track = track
        self.cache: dict[K, asyncio.Future[V | None]] = {}
        self.pending: list[K] = []

    def load(self, key: K) -> asyncio.Future[V | None]:
        found = self.cache.get(key)
        if found is not None:
            return found
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V | None] = loop.create_future()
        self.cache[key] = future
        self.pending.append(key)
        if len(self.pending) == 1:  # the first key of this tick schedules the fetch
            self.track([loop.create_task(self._dispatch())])
        return future

    async def _dispatch(self) -> None:
        await asyncio.sleep(0)  # (the keys the other fields ask for in this tick join it)
        keys, self.pending = self.pending, []
        try:
            found = await self.fetch(keys)
        except Exception as e:  # every waiting field gets the error
            for key in keys:
                if not self.cache[key].done():  # (a field whose query failed is cancelled)
                    self.cache[key].set_exception(e)
            return
        for key in keys:
            if not self.cache[key].done():
                self.cache[key].set_result(found.get(key))


def batch(info: GraphQLResolveInfo[Any], name: Hashable, fetch: Fetch[Any, Any]) -> Batch[Any, Any]:
    """The request's batch loader called `name` (created with `fetch` on first use)."""
    loaders: dict[Hashable, Batch[Any, Any]] = info.context.setdefault("kk.batches", {})
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = Batch(fetch, info.async_helpers.track)
    return found


def domain(info: GraphQLResolveInfo[Any]) -> Domain:
    return domain_of(info.context.get("services") or {})


def caller(info: GraphQLResolveInfo[Any]) -> Caller:
    """The caller of a GraphQL field (resolvers check object-level access with it)."""
    request = info.context.get("request")
    request_id = request.scope.get("kk.request_id") if request is not None else None
    return Caller.of(info.context.get("identity"), request_id)
