"""The HTTP clients of the mock engine's deliveries (webhooks, callbacks), per event loop.

A client's connections belong to the event loop that opened them, and can only be closed on
it. So the loop an app's lifespan runs on keeps one client from start-up (`open`) to shutdown
(`close`), reusing its connections; on any other loop (an app driven without its lifespan, a
test client's portal, which lives for one call) each attempt gets a client of its own, closed
right after it: a kept client there would outlive its loop and leave its sockets to the
garbage collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class LoopClients:
    def __init__(self, make: Callable[[], httpx.AsyncClient]) -> None:
        self.make = make
        # keyed by the loop itself: a loop's id may be reused once it is gone
        self._kept: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def open(self) -> None:
        """Keep a client on the running loop (the app's start-up), until `close()`."""
        loop = asyncio.get_running_loop()
        if loop not in self._kept:
            self._kept[loop] = self.make()

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """The running loop's kept client, else one for this attempt only."""
        kept = self._kept.get(asyncio.get_running_loop())
        if kept is not None:
            yield kept
            return
        async with self.make() as once:
            yield once

    async def close(self) -> None:
        """Close the running loop's kept client (the app's shutdown)."""
        client = self._kept.pop(asyncio.get_running_loop(), None)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
