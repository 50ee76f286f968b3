"""The Redis generation keeps a client only on the loop `prepare()` ran on (the app's
lifespan) and closes it in `close()`; on any other loop a call's client is closed after it.
Before (issue 18) it kept a client per loop and dropped those of closed loops unclosed: their
sockets were left to the garbage collector, an unraisable warning in whichever test ran next."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from handlers.storage.generation import RedisGeneration


def named(redis_url: str) -> tuple[str, str]:
    """`redis_url` with a client name of its own (its connections are counted by that name)."""
    name = "kk-test-" + uuid.uuid4().hex[:8]
    return f"{redis_url}?client_name={name}", name


def connections(redis_url: str, name: str) -> int:
    async def count() -> int:
        async with aioredis.from_url(redis_url) as admin:
            return sum(1 for c in await admin.client_list() if c.get("name") == name)

    return asyncio.run(count())


def test_calls_on_loops_without_the_lifespan_leave_no_connection_open(redis_url: str) -> None:
    url, name = named(redis_url)
    generation = RedisGeneration(url, "kk:test:" + name)

    async def write_and_read() -> int:
        await generation.bump()
        return await generation.current()

    assert [asyncio.run(write_and_read()) for _ in range(3)] == [1, 2, 3]
    assert connections(redis_url, name) == 0


def test_the_lifespan_loop_keeps_one_client_until_close(redis_url: str) -> None:
    url, name = named(redis_url)
    generation = RedisGeneration(url, "kk:test:" + name)
    during: list[int] = []

    async def lifespan() -> None:
        await generation.prepare()
        for _ in range(3):
            await generation.bump()
        during.append(await asyncio.to_thread(connections, redis_url, name))
        assert await generation.current() == 3
        await generation.close()

    asyncio.run(lifespan())
    assert during == [1] and connections(redis_url, name) == 0


@pytest.mark.anyio
async def test_preparing_on_another_loop_closes_the_client_of_the_first(redis_url: str) -> None:
    url, name = named(redis_url)
    generation = RedisGeneration(url, "kk:test:" + name)

    async def first_lifespan() -> None:
        await generation.prepare()
        await generation.bump()

    await asyncio.to_thread(asyncio.run, first_lifespan())  # (that loop has stopped since)
    await generation.prepare()
    assert await generation.current() == 1
    await generation.close()
    assert await asyncio.to_thread(connections, redis_url, name) == 0
