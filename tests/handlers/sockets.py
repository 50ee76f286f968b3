"""A /ws client for in-process apps that runs on the test's own event loop (Starlette's
TestClient runs the app on another loop, which a pooled asyncpg engine cannot share)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Any

import orjson

WAIT = 10.0


class Socket:
    def __init__(self, app: Any, path: str = "/ws") -> None:
        self.app = app
        self.path = path
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
            "headers": [(b"host", b"t")],
            "server": ("t", 80),
            "client": ("127.0.0.1", 50000),
            "subprotocols": [],
        }
        self.task = asyncio.create_task(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "websocket.connect"})
        accepted = await asyncio.wait_for(self.from_app.get(), WAIT)
        if accepted["type"] != "websocket.accept":
            raise AssertionError(f"not accepted: {accepted}")
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

    async def receive(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.from_app.get(), WAIT)
        if message["type"] != "websocket.send":
            raise AssertionError(f"expected a frame, got {message}")
        frame: dict[str, Any] = orjson.loads(message["text"])
        return frame

    async def ask(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.send(frame)
        return await self.receive()

    async def login(self, token: str) -> Socket:
        ok = await self.ask({"type": "auth", "token": token})
        if ok["type"] != "auth_ok":
            raise AssertionError(f"auth refused: {ok}")
        return self

    async def subscribe(self, channel: str, **fields: str) -> None:
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
