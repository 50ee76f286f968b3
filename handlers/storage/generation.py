"""The database's write generation: a value that changes after every committed write.

Kept read answers (server.answer_cache) are valid only while it is unchanged, so it must be
shared by every process that writes the same data:

- with `REDIS_URL`: a Redis counter (INCR after each commit, GET before each kept answer is
  used), shared by every worker and every app on that database;
- SQLite without Redis: an 8-byte counter in a file beside the database (`klearkarma.db.gen`),
  memory-mapped, bumped under an exclusive `flock`: every process on the file sees it with no
  system call per read;
- otherwise (PostgreSQL without Redis, `:memory:` SQLite): a PostgreSQL sequence, read with one
  `SELECT last_value` per kept answer, or a counter in this process.

The Redis and PostgreSQL reads are shared by the requests waiting at once
(handlers.storage.coalesced: one round trip per batch, and why that keeps the guarantee).

`bump()` runs after the commit (never before it): a reader takes the generation *before* it
reads, so an answer read while a write commits is kept under the old generation and is never
used after the bump.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import mmap
import os
import struct
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.storage.coalesced import Coalesced, Generation

__all__ = ["Generation", "generation_for"]

COUNTER = struct.Struct("<Q")


class LocalGeneration:
    """A counter in this process (one process owns the data: `:memory:` SQLite)."""

    def __init__(self) -> None:
        self.value = 0

    async def prepare(self) -> None:
        return None

    async def current(self) -> int:
        return self.value

    async def bump(self) -> None:
        self.value += 1

    async def close(self) -> None:
        return None


class FileGeneration:
    """A counter in a memory-mapped file, shared by every process on the same SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None

    def _mapped(self) -> mmap.mmap:
        if self._map is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                with _locked(fd):
                    if os.fstat(fd).st_size < COUNTER.size:
                        os.ftruncate(fd, COUNTER.size)
                self._map = mmap.mmap(fd, COUNTER.size)
            finally:
                os.close(fd)  # the mapping keeps the file
        return self._map

    async def prepare(self) -> None:
        self._mapped()

    async def current(self) -> int:
        value: int = COUNTER.unpack_from(self._mapped())[0]
        return value

    async def bump(self) -> None:
        mapped = self._mapped()
        fd = os.open(self.path, os.O_RDWR)
        try:
            with _locked(fd):
                COUNTER.pack_into(mapped, 0, (COUNTER.unpack_from(mapped)[0] + 1) % 2**64)
        finally:
            os.close(fd)

    async def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


class _locked:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


class _Kept:
    """A client kept on `loop`, closed on that loop by a task of its own: when `close()` asks,
    or when the loop shuts down without it (`asyncio.run` returning, a test's runner ending:
    they cancel the loop's tasks before closing it), instead of being left to the garbage
    collector with its open socket."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: Any) -> None:
        self.loop, self.client = loop, client
        self.done = asyncio.Event()
        self.keeper = loop.create_task(self._keep())

    async def _keep(self) -> None:
        try:
            await self.done.wait()
        finally:
            await self.client.aclose()

    async def close(self) -> None:
        if self.loop is asyncio.get_running_loop():
            self.done.set()
            await self.keeper
        elif not self.loop.is_closed():  # closed on its own loop, which is still serving
            self.loop.call_soon_threadsafe(self.done.set)


class RedisGeneration:
    """A Redis counter. A redis-py connection belongs to the loop that opened it, and a loop
    may stop without telling anyone (a test client's portal, `asyncio.run` returning): a
    client kept per loop was dropped unclosed once its loop had closed. So a client is kept
    only on the loop `prepare()` ran on (the app's lifespan, through `Database.open()`),
    closed by `close()` or when that loop shuts down (`_Kept`); on any other loop each call
    opens a client and closes it after the call (an app driven without its lifespan)."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self._kept: _Kept | None = None

    def _new_client(self) -> Any:
        import redis.asyncio as aioredis

        return aioredis.from_url(self.url)

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        kept = self._kept
        if kept is not None and kept.loop is asyncio.get_running_loop():
            yield kept.client
            return
        async with self._new_client() as client:  # (closed when the call ends)
            yield client

    async def prepare(self) -> None:
        loop = asyncio.get_running_loop()
        if self._kept is None or self._kept.loop is not loop:
            await self.close()
            self._kept = _Kept(loop, self._new_client())

    async def current(self) -> int:
        async with self._client() as client:
            raw = await client.get(self.key)
        return int(raw or 0)

    async def bump(self) -> None:
        async with self._client() as client:
            await client.incr(self.key)

    async def close(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            await kept.close()


SEQUENCE = "kk_answer_generation"


class SequenceGeneration:
    """A PostgreSQL sequence (`nextval` after a commit, `last_value` before a kept answer)."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self.engine = engine
        self._made = False

    async def prepare(self) -> None:
        await self._make()

    async def _make(self) -> None:
        if self._made:
            return
        try:
            async with self.engine().begin() as conn:
                await conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}"))
        except DBAPIError:  # another worker created it at the same moment
            pass
        self._made = True

    async def current(self) -> int:
        await self._make()
        async with self.engine().connect() as conn:
            # (a new sequence reads last_value 1 both before and after its first nextval)
            value = await conn.scalar(
                text(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
            )
        return int(value or 0)

    async def bump(self) -> None:
        await self._make()
        async with self.engine().connect() as conn:
            await conn.execute(text(f"SELECT nextval('{SEQUENCE}')"))  # not transactional

    async def close(self) -> None:
        return None


def generation_for(
    url: str,
    dialect: str,
    database: str | None,
    engine: Callable[[], AsyncEngine],
    env: Mapping[str, str] | None = None,
) -> Generation:
    """The generation that every process writing to `url` shares (see the module's doc)."""
    redis = (env if env is not None else os.environ).get("REDIS_URL", "").strip()
    if redis:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]  # one counter per database
        return Coalesced(RedisGeneration(redis, f"kk:answers:generation:{digest}"))
    if dialect == "sqlite":
        if database and database != ":memory:":
            return FileGeneration(Path(database + ".gen"))
        return LocalGeneration()
    return Coalesced(SequenceGeneration(engine))
