"""Writers of one key wait their turn in this process before they take a connection.

A booking locks its practitioner's row (`FOR UPDATE` on PostgreSQL, the file lock of
`BEGIN IMMEDIATE` on SQLite) for its whole transaction, so concurrent bookings of one
practitioner run one at a time anyway. Waiting for that lock *inside* a transaction holds a
pooled connection per waiter: at -c32 every connection of a worker's pool sat in a queue on
one row, and the work the holder still had to do after its commit (marking its outbox events
published, the webhook worker's rounds) waited for a connection behind them: POST on
`kk serve` (PostgreSQL) answered 0-2 req/s with p50 4.5 s. Queued here, a worker's waiters
cost no connection; across workers the row lock still orders them (at most one waiter per
worker on it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Turns:
    """One `asyncio.Lock` per key while anyone holds or waits for it (no unbounded growth:
    a key's lock is dropped with its last user)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
