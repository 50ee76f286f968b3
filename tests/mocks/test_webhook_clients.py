"""The mock engine's delivery clients leave no connection behind on a loop that ends."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import warnings

from tests.engine import client
from tests.mocks.test_sandbox_flow import USER, USER_SCOPES, bearer
from tests.mocks.test_webhooks import TEST_KEY, app

BOOKING = {
    "practitioner_id": "test_prac_123",
    "scheduled_at": "2024-01-02T09:00:00Z",
    "duration": 60,
    "session_type": "video_call",
}


class KeepAliveReceiver:
    """An HTTP/1.1 receiver on the test's loop that keeps each connection open."""

    def __init__(self) -> None:
        self.posts = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.lower().split(b"\r\n")
                sizes = [int(h.split(b":")[1]) for h in lines if h.startswith(b"content-length")]
                await reader.readexactly(sizes[0] if sizes else 0)
                self.posts += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()


async def deliver_without_the_lifespan() -> int:
    """An app driven in-process (no lifespan), delivering one webhook to a real socket."""
    built = app(None)
    receiver = KeepAliveReceiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with client(built.app) as c:
        hook = {"url": f"http://127.0.0.1:{port}/hook", "events": ["booking.created"]}
        made = await c.post(
            "/v1/webhooks", json={"data": {"type": "webhook", "attributes": hook}}, headers=TEST_KEY
        )
        assert made.status_code == 201, made.text
        booking = {"data": {"type": "booking", "attributes": BOOKING}}
        booked = await c.post(
            "/v1/bookings", json=booking, headers=bearer(built, USER, USER_SCOPES)
        )
        assert booked.status_code == 201, booked.text
        for _ in range(500):
            if receiver.posts:
                break
            await asyncio.sleep(0.01)
    server.close()
    for writer in receiver.writers:  # the receiver's side of each connection
        writer.close()
    await server.wait_closed()
    return receiver.posts


def test_a_delivery_on_a_loop_without_the_apps_lifespan_closes_its_connection() -> None:
    assert asyncio.run(deliver_without_the_lifespan()) == 1
    with warnings.catch_warnings(record=True) as seen:  # recorded, not raised in a finalizer
        warnings.simplefilter("always")
        gc.collect()
    assert [f"{w.category.__name__}: {w.message}" for w in seen] == []
