"""A shared generation read by one round trip for every request waiting on it at once.

Every kept answer first reads the write generation (handlers.storage.generation); with Redis
or the PostgreSQL sequence that is a round trip per request, and at 32 concurrent requests a
worker spends more on those round trips than on the kept answers themselves. Here the
requests that arrive while a read is in flight wait together for the *next* read, sent as
soon as the one in flight returns: one round trip per batch instead of one per request.

Why a batch may share a read (the cross-worker guarantee of server.answer_cache: a write
acknowledged to its client is seen by any read that client sends afterwards): a request
only ever joins a read that has not been sent yet, so the read it gets was sent after the
request arrived, after the write's client had its answer, after the writer's bump returned
(it runs before the write's answer: handlers.storage.database). Redis and PostgreSQL answer
a read sent after an INCR/nextval returned with the new value. A read already in flight
may have been sent before that write: nobody who arrives later joins it.

Pushing the generation into each worker instead (Redis pub/sub, LISTEN/NOTIFY) would save
even the batch's round trip, but cannot give that guarantee without one: the server sends
the message to the subscriber before it answers the writer, yet nothing orders the
subscriber's event loop reading that message before it reads a client's next request, which
may already be waiting on another socket of the same loop. A reader that must verify does
the round trip this module shares.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Generation(Protocol):
    """A write generation (the kinds are in handlers.storage.generation, which imports this)."""

    async def prepare(self) -> None: ...

    async def current(self) -> int: ...

    async def bump(self) -> None: ...

    async def close(self) -> None: ...


class _Batch:
    __slots__ = ("waiting", "driver")

    def __init__(self) -> None:
        # The read not yet sent: requests arriving now wait for it.
        self.waiting: asyncio.Future[int] | None = None
        self.driver: asyncio.Task[None] | None = None


class Coalesced:
    """`inner`, with concurrent `current()` calls on a loop served by one read per batch."""

    def __init__(self, inner: Generation) -> None:
        self.inner = inner
        self._batches: dict[asyncio.AbstractEventLoop, _Batch] = {}

    def _batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        batch = self._batches.get(loop)
        if batch is None:
            for old in [stale for stale in self._batches if stale.is_closed()]:
                del self._batches[old]
            batch = self._batches[loop] = _Batch()
        return batch

    async def prepare(self) -> None:
        await self.inner.prepare()

    async def current(self) -> int:
        batch = self._batch()
        if batch.waiting is None:
            batch.waiting = asyncio.get_running_loop().create_future()
        waiting = batch.waiting
        if batch.driver is None or batch.driver.done():
            batch.driver = asyncio.ensure_future(self._drive(batch))
        # shielded: a waiter cancelled (a client gone) does not cancel the others' read
        return await asyncio.shield(waiting)

    async def _drive(self, batch: _Batch) -> None:
        while batch.waiting is not None:
            waiting, batch.waiting = batch.waiting, None  # later arrivals: the next read
            try:
                value = await self.inner.current()
            except Exception as e:  # each waiter gets the failure, as its own read would
                waiting.set_exception(e)
                waiting.exception()  # (retrieved: a batch whose waiters left logs nothing)
            else:
                waiting.set_result(value)

    async def bump(self) -> None:
        await self.inner.bump()

    async def close(self) -> None:
        await self.inner.close()
