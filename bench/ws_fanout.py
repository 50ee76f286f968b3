"""WebSocket fan-out: N clients subscribed to channel `bookings` on /ws, events per second.

Every client sends an `auth` frame, then `subscribe`. One more client publishes
`webrtc_signal` frames, which the server validates and publishes on the event bus (channel
`bookings`), and the bus fans out to every subscriber: the path a REST-triggered booking
event takes from `bus.publish` on. The publisher keeps at most WINDOW events ahead of the
slowest subscriber, so none is dropped by the bus's per-subscriber queue (1000 events).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import orjson
from websockets.asyncio.client import ClientConnection, connect

WINDOW = 200
SIGNAL = orjson.dumps(
    {
        "type": "webrtc_signal",
        "booking_id": "booking_123",
        "signal_type": "ice_candidate",
        "signal_data": {"candidate": "candidate:1 1 UDP 2130706431 127.0.0.1 9 typ host"},
    }
).decode()


@dataclass
class FanOut:
    clients: int
    published: int
    delivered: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def events_per_s(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


async def _session(url: str, token: str, channel: str | None) -> ClientConnection:
    ws = await connect(url, max_queue=None, compression=None)
    await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
    reply = orjson.loads(await ws.recv())
    if reply.get("type") != "auth_ok":
        raise RuntimeError(f"/ws auth failed: {reply}")
    if channel is not None:
        await ws.send(orjson.dumps({"type": "subscribe", "channel": channel}).decode())
        reply = orjson.loads(await ws.recv())
        if reply.get("type") != "subscribed":
            raise RuntimeError(f"/ws subscribe failed: {reply}")
    return ws


async def _fan_out(url: str, clients: int, duration: float, token: str) -> FanOut:
    subscribers = [await _session(url, token, "bookings") for _ in range(clients)]
    publisher = await _session(url, token, None)
    received = [0] * clients
    sent_at: list[float] = []
    latencies: list[float] = []
    progress = asyncio.Event()
    stop = False

    async def listen(i: int, ws: ClientConnection) -> None:
        async for _ in ws:
            n = received[i]
            received[i] = n + 1
            if i == 0:
                latencies.append(time.perf_counter() - sent_at[n])
            progress.set()

    listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(subscribers)]
    started = time.perf_counter()
    end = started + duration
    while time.perf_counter() < end and not stop:
        if len(sent_at) - min(received) >= WINDOW:
            progress.clear()
            try:
                await asyncio.wait_for(progress.wait(), timeout=5)
            except TimeoutError:
                stop = True  # events lost or the server stalled: count what arrived
            continue
        sent_at.append(time.perf_counter())
        await publisher.send(SIGNAL)
    # Let the last events arrive (bounded), then count.
    deadline = time.perf_counter() + 5
    while min(received) < len(sent_at) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    for task in listeners:
        task.cancel()
    for ws in [*subscribers, publisher]:
        await ws.close()
    latencies.sort()
    return FanOut(
        clients=clients,
        published=len(sent_at),
        delivered=sum(received),
        seconds=elapsed,
        p50_ms=_pct(latencies, 0.5) * 1000,
        p99_ms=_pct(latencies, 0.99) * 1000,
    )


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def run_fan_out(base_url: str, clients: int, duration: float, token: str = "bench") -> FanOut:
    url = base_url.replace("http://", "ws://") + "/ws"
    try:
        import uvloop

        return uvloop.run(_fan_out(url, clients, duration, token))
    except ImportError:
        return asyncio.run(_fan_out(url, clients, duration, token))
