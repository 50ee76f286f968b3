"""The event bus: handlers and mocks publish; WebSocket, GraphQL subscriptions and webhooks listen.

In-process by default; with REDIS_URL, events cross workers through Redis pub/sub (each worker
still fans out locally, so a subscriber sees every event exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from server.problems import now_iso
from server.randomhex import token_hex

log = logging.getLogger("kk.events")
QUEUE_SIZE = 1000


def new_event_id() -> str:
    """`evt_` and 24 random hex digits (no system call an id: server.randomhex)."""
    return "evt_" + token_hex(12)


@dataclass(frozen=True, slots=True)
class Event:
    """One domain event, e.g. type `booking.created` on channel `bookings`."""

    type: str
    channel: str
    data: dict[str, Any]
    audience: tuple[str, ...] = ()
    id: str = field(default_factory=new_event_id)
    created_at: str = field(default_factory=now_iso)
    # In the outbox of the database its publisher committed it to (a handler's event: the
    # outbox row and the change are one transaction): webhook bridges need not look it up.
    stored: bool = False

    def visible_to(self, subject: str | None) -> bool:
        return not self.audience or (subject is not None and subject in self.audience)

    def to_json(self) -> bytes:
        # (orjson writes a dataclass's fields itself: `asdict`'s deep copy first was ~3 % of
        # a `kk serve` worker's CPU a booking)
        return orjson.dumps(self)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        data = orjson.loads(raw)
        data["audience"] = tuple(data.get("audience") or ())
        return cls(**data)


class Subscription:
    """An async iterator of the events of some channels; close it when done."""

    def __init__(self, bus: MemoryBus, channels: frozenset[str] | None) -> None:
        self.channels = channels
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self._bus = bus

    def offer(self, event: Event) -> None:
        if self.channels is not None and event.channel not in self.channels:
            return
        if self.queue.full():  # a slow consumer loses its oldest event, never blocks the bus
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(event)

    def close(self) -> None:
        self._bus.unsubscribe(self)
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self.queue.get()
            if event is None:
                return
            yield event


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, channels: Iterable[str] | None = None) -> Subscription: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class MemoryBus:
    """In-process publish/subscribe."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    async def publish(self, event: Event) -> None:
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        for sub in tuple(self._subscriptions):
            sub.offer(event)

    def subscribe(self, channels: Iterable[str] | None = None) -> Subscription:
        sub = Subscription(self, frozenset(channels) if channels is not None else None)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for sub in tuple(self._subscriptions):
            sub.close()


class RedisBus(MemoryBus):
    """Events go through a Redis channel; every worker's reader fans them out locally."""

    def __init__(self, url: str, channel: str = "kk:events") -> None:
        super().__init__()
        import redis.asyncio as aioredis

        self.url = url
        self._redis = aioredis.from_url(url)
        self._channel = channel
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, event: Event) -> None:
        await self._redis.publish(self._channel, event.to_json())

    async def incr_and_publish(self, key: str, events: Iterable[Event]) -> None:
        """`INCR key`, then each event published, in one round trip (a pipeline, in that
        order): a counter a write bumps and the write's events together."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(key)
        for event in events:
            pipe.publish(self._channel, event.to_json())
        await pipe.execute()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _read(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel)
        self._ready.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    self.deliver(Event.from_json(message["data"]))
                except (ValueError, TypeError):
                    log.warning("dropped a malformed event from Redis")
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8.2

    async def close(self) -> None:
        await super().close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
