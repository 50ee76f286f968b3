"""The event bus: in-process and across processes through Redis."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.events import Event, MemoryBus, RedisBus

pytestmark = pytest.mark.anyio


async def next_event(sub: object, timeout: float = 5) -> Event:
    iterator = sub.__aiter__()  # type: ignore[attr-defined]
    return await asyncio.wait_for(iterator.__anext__(), timeout)


async def test_memory_bus_delivers_only_subscribed_channels() -> None:
    bus = MemoryBus()
    bookings, everything = bus.subscribe(["bookings"]), bus.subscribe()
    await bus.publish(Event("message.created", "messages", {"id": "msg_1"}))
    await bus.publish(Event("booking.created", "bookings", {"id": "booking_1"}))
    assert (await next_event(bookings)).type == "booking.created"
    assert (await next_event(everything)).type == "message.created"
    assert (await next_event(everything)).type == "booking.created"


async def test_a_slow_subscriber_loses_its_oldest_events_and_never_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("server.events.QUEUE_SIZE", 3)
    bus = MemoryBus()
    sub = bus.subscribe()
    for i in range(10):
        await bus.publish(Event("tick", "t", {"i": i}))
    assert [(await next_event(sub)).data["i"] for _ in range(3)] == [7, 8, 9]


async def test_closing_a_subscription_ends_its_iteration() -> None:
    bus = MemoryBus()
    sub = bus.subscribe()
    sub.close()
    assert [e async for e in sub] == []


def test_audience_limits_who_sees_an_event() -> None:
    private = Event("booking.created", "bookings", {}, audience=("test_user_123",))
    assert private.visible_to("test_user_123") and not private.visible_to("user_999")
    assert Event("x", "y", {}).visible_to(None)


def test_events_round_trip_through_json() -> None:
    event = Event("booking.created", "bookings", {"id": "booking_1"}, audience=("u",))
    assert Event.from_json(event.to_json()) == event


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@given(
    kind=st.text(min_size=1),
    data=st.dictionaries(st.text(), _JSON, max_size=5),
    audience=st.lists(st.text(), max_size=3).map(tuple),
)
def test_an_events_json_is_its_fields_as_a_json_object(
    kind: str, data: dict[str, Any], audience: tuple[str, ...]
) -> None:
    event = Event(kind, "bookings", data, audience=audience)
    assert orjson.loads(event.to_json()) == orjson.loads(orjson.dumps(asdict(event)))
    assert Event.from_json(event.to_json()) == event


async def test_redis_bus_carries_events_between_two_workers(redis_url: str) -> None:
    worker_a, worker_b = RedisBus(redis_url), RedisBus(redis_url)
    await worker_a.start()
    await worker_b.start()
    try:
        on_b = worker_b.subscribe(["bookings"])
        on_a = worker_a.subscribe(["bookings"])
        sent = Event(
            "booking.confirmed", "bookings", {"id": "booking_9"}, audience=("test_user_123",)
        )
        await worker_a.publish(sent)
        assert await next_event(on_b) == sent
        assert await next_event(on_a) == sent
    finally:
        await worker_a.close()
        await worker_b.close()
