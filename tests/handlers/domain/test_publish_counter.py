"""A unit's write generation and its events in one Redis round trip (handlers.domain.unit
`publish`): with the bus on the generation's Redis, `kk serve`'s units send `INCR` and their
`PUBLISH`es as one pipeline, INCR first; elsewhere the generation is bumped on its own, before
any event goes out. A pipeline that fails still leaves the generation bumped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers.domain.context import Domain
from handlers.domain.unit import SyncUnit, write_once
from handlers.storage.database import Database, database_url
from handlers.storage.generation import RedisGeneration
from handlers.storage.models import OutboxEvent
from server.events import RedisBus
from tests.handlers.conftest import migrated

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def on_redis(redis_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database whose write generation is a Redis counter."""
    async with migrated(database_url(tmp_path, {}), {"REDIS_URL": redis_url}) as db:
        yield db


def counted(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, fail: bool = False) -> list[int]:
    calls = [0]
    real = getattr(cls, name)

    async def wrapper(*args: Any) -> Any:
        calls[0] += 1
        if fail:
            raise ConnectionError("redis went away")
        return await real(*args)

    monkeypatch.setattr(cls, name, wrapper)
    return calls


def book(unit: SyncUnit) -> str:
    event = unit.emit("booking.created", {"id": "booking_1"}, audience={"user_1"})
    unit.audit("booking.created", "booking", "booking_1")
    return event.id


async def _run(db: Database, bus_url: str) -> tuple[str, Any, int, int]:
    """One unit on a domain whose bus is on `bus_url`: its event id, what a subscriber got,
    and the generation before and after."""
    bus = RedisBus(bus_url)
    await bus.start()
    sub = bus.subscribe(["bookings"])
    try:
        domain = Domain(db=db, bus=bus)
        before = await db.generation.current()
        event_id = await write_once(domain, book, actor="user_1")
        after = await db.generation.current()
        try:
            got = await asyncio.wait_for(sub.queue.get(), 2)
        except TimeoutError:
            got = None
        return event_id, got, before, after
    finally:
        await bus.close()


async def test_the_generation_and_the_events_go_in_one_pipeline(
    on_redis: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipelines = counted(monkeypatch, RedisBus, "incr_and_publish")
    bumps = counted(monkeypatch, RedisGeneration, "bump")
    published = counted(monkeypatch, RedisBus, "publish")
    event_id, got, before, after = await _run(on_redis, redis_url)
    assert (pipelines[0], bumps[0], published[0]) == (1, 0, 0)
    assert after == before + 1
    assert got is not None and got.id == event_id


async def test_a_bus_on_another_redis_gets_its_events_after_the_bump_on_its_own(
    on_redis: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipelines = counted(monkeypatch, RedisBus, "incr_and_publish")
    bumps = counted(monkeypatch, RedisGeneration, "bump")
    event_id, got, before, after = await _run(on_redis, redis_url + "?client_name=other")
    assert (pipelines[0], bumps[0]) == (0, 1)
    assert after == before + 1
    assert got is not None and got.id == event_id


async def test_a_pipeline_that_fails_still_bumps_and_leaves_the_event_unpublished(
    on_redis: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted(monkeypatch, RedisBus, "incr_and_publish", fail=True)
    bumps = counted(monkeypatch, RedisGeneration, "bump")
    event_id, got, before, after = await _run(on_redis, redis_url)
    assert got is None and bumps[0] == 1 and after == before + 1
    async with on_redis.session() as session:
        row = await session.get_one(OutboxEvent, event_id)
    assert row.published_at is None  # the outbox keeps it for the relay
