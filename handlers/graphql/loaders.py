"""Per-request batch loading for resolvers: every key asked for in the same tick of the event
loop is fetched with one query (no N+1 over a list of messages)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any

Fetch = Callable[[list[Any]], Awaitable[Mapping[Any, Any]]]


class BatchLoader:
    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.cache: dict[Hashable, asyncio.Future[Any]] = {}
        self.queue: list[Hashable] = []

    def load(self, key: Hashable) -> asyncio.Future[Any]:
        found = self.cache.get(key)
        if found is None:
            loop = asyncio.get_running_loop()
            found = self.cache[key] = loop.create_future()
            if not self.queue:
                loop.call_soon(lambda: asyncio.ensure_future(self._run()))
            self.queue.append(key)
        return found

    async def load_many(self, keys: Iterable[Hashable]) -> list[Any]:
        return list(await asyncio.gather(*(self.load(k) for k in keys)))

    async def _run(self) -> None:
        keys, self.queue = self.queue, []
        try:
            values = await self.fetch(list(keys))
        except Exception as e:
            for key in keys:
                self.cache[key].set_exception(e)
            return
        for key in keys:
            self.cache[key].set_result(values.get(key))


def loader(context: Any, name: str, fetch: Fetch) -> BatchLoader:
    """The request's loader called `name` (made on first use)."""
    loaders: dict[str, BatchLoader] = context.setdefault("kk.loaders", {})
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = BatchLoader(fetch)
    return found
