"""A WebSocket client of an in-process app that runs on the test's own event loop (Starlette's
TestClient runs the app on another loop, which a pooled asyncpg engine cannot share, and its
portal hides the raw ASGI messages the socket bounds are about). /ws and graphql-transport-ws
(`path="/graphql"`) alike."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Any

import orjson

WAIT = 10.0  # seconds for any one answer: a hung app fails the test instead of stalling it


class Socket:
    """`async with Socket(app) as ws`; the handshake is not awaited on entry, so a refused
    socket's close can be read with `closed()`."""

    def __init__(
        self, app: Any, path: str = "/ws", client: tuple[str, int] = ("10.0.0.1", 1)
    ) -> None:
        self.app, self.path, self.client = app, path, client
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Socket:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "server": ("testserver", 80),
            "client": self.client,
            "subprotocols": ["graphql-transport-ws"] if self.path == "/graphql" else [],
        }
        self.task = asyncio.create_task(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "websocket.connect"})
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, WAIT)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.to_app.put({"type": "websocket.receive", "text": orjson.dumps(frame).decode()})

    async def message(self) -> dict[str, Any]:
        """The next raw ASGI message from the app (accept, send or close)."""
        return await asyncio.wait_for(self.from_app.get(), WAIT)

    async def receive(self) -> dict[str, Any]:
        """The next frame, past the handshake's accept; anything else fails the test."""
        message = await self.message()
        if message["type"] == "websocket.accept":
            message = await self.message()
        if message["type"] != "websocket.send":
            raise AssertionError(f"expected a frame, got {message}")
        frame: dict[str, Any] = orjson.loads(message["text"])
        return frame

    async def closed(self) -> int:
        """The close code the app sent next (frames before it are skipped)."""
        while True:
            message = await self.message()
            if message["type"] == "websocket.close":
                return int(message.get("code", 1000))

    async def ask(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.send(frame)
        return await self.receive()

    async def login(self, token: str) -> Socket:
        """/ws: authenticate with `token`."""
        ok = await self.ask({"type": "auth", "token": token})
        if ok["type"] != "auth_ok":
            raise AssertionError(f"auth refused: {ok}")
        return self

    async def subscribe(self, channel: str, **fields: str) -> None:
        """/ws: subscribe to `channel`, answered `subscribed`."""
        answer = await self.ask({"type": "subscribe", "channel": channel, **fields})
        if answer["type"] != "subscribed":
            raise AssertionError(f"subscribe refused: {answer}")

    async def drained(self) -> list[dict[str, Any]]:
        """Every frame that arrives before the answer to a ping (what else was delivered)."""
        await self.send({"type": "ping"})
        before: list[dict[str, Any]] = []
        while (frame := await self.receive()) != {"type": "pong"}:
            before.append(frame)
        return before

    async def init(self, token: str) -> Socket:
        """graphql-transport-ws: `connection_init` with a bearer token, answered with an ack."""
        ack = await self.ask(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        if ack["type"] != "connection_ack":
            raise AssertionError(f"connection_init refused: {ack}")
        return self
