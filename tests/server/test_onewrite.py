"""server.onewrite through the protocol `kk` serves with (BoundedHttpTools): an answer's head
and body leave in one transport write, with the same bytes as before; a head with no body
after it (HEAD, a crash after the start) still goes out, and a streamed answer's head goes
out at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from server.httpbounds import BoundedHttpTools


class Wire:
    """A transport that records each write (one write is one send to the socket)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def exchange(app: Any, request: bytes, wire: Wire | None = None) -> Wire:
    config = Config(app, lifespan="off", log_level="critical", server_header=False)
    config.load()
    protocol = BoundedHttpTools(config, ServerState(), {}, asyncio.get_running_loop())
    wire = wire or Wire()
    protocol.connection_made(wire)  # type: ignore[arg-type]
    protocol.data_received(request)
    for _ in range(20):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return wire


async def small(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
HEAD = b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"
EXPECTED_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"


@pytest.mark.anyio
async def test_head_and_body_leave_in_one_write() -> None:
    wire = await exchange(small, GET)
    assert wire.writes == [EXPECTED_HEAD + b'{"ok":true}']


@pytest.mark.anyio
async def test_two_requests_on_one_connection_are_two_writes() -> None:
    wire = await exchange(small, GET + GET)
    assert wire.writes == [EXPECTED_HEAD + b'{"ok":true}'] * 2


@pytest.mark.anyio
async def test_a_head_request_gets_its_head_without_a_body() -> None:
    wire = await exchange(small, HEAD)
    assert wire.writes == [EXPECTED_HEAD]


@pytest.mark.anyio
async def test_a_streamed_answer_sends_its_head_at_once() -> None:
    wire = Wire()
    heads_seen: list[int] = []

    async def streamed(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        heads_seen.append(len(wire.writes))  # before any chunk: the head is out
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await send({"type": "http.response.body", "body": b"cd"})

    await exchange(streamed, GET, wire)
    head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    assert heads_seen == [1]
    assert wire.writes == [head, b"2\r\nab\r\n", b"2\r\ncd\r\n0\r\n\r\n"]


@pytest.mark.anyio
async def test_a_crash_after_the_start_still_sends_the_head_then_closes() -> None:
    async def crashing(scope: Any, receive: Any, send: Any) -> None:
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("boom")

    wire = await exchange(crashing, GET)
    assert wire.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"]
    assert wire.closed


@pytest.mark.anyio
async def test_100_continue_goes_out_before_the_answer() -> None:
    async def reads_body(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        length = str(len(message["body"])).encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
        )
        await send({"type": "http.response.body", "body": message["body"]})

    request = b"POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"
    wire = await exchange(reads_body, request)
    assert wire.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert wire.writes[1:] == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"]
