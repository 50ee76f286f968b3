"""Shared pieces of the security tests: apps, an in-process socket, a real uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Any

import httpx
import orjson

from kkapp.config import AppConfig
from kkapp.factory import Built, build
from server.auth.services import AuthServices, auth_of

WAIT = 5.0
PATIENT_SCOPES = ["read:profile", "read:bookings", "read:messages", "write:messages"]


def sandbox(data_dir: str, **config: Any) -> Built:
    """The sandbox with mocks only (fast to build), limits off unless asked."""
    config.setdefault("rate_limits", "off")
    config.setdefault("handlers", False)
    return build(AppConfig("sandbox", data_dir=data_dir, **config))


def auth(built: Built) -> AuthServices:
    return auth_of(built.runtime.extras)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


class Socket:
    """A WebSocket client of an in-process app on the test's event loop; `receive` returns
    the raw ASGI messages (frames and the close)."""

    def __init__(self, app: Any, path: str = "/ws", client: tuple[str, int] = ("10.0.0.1", 1)):
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
        return await asyncio.wait_for(self.from_app.get(), WAIT)

    async def frame(self) -> dict[str, Any]:
        message = await self.message()
        if message["type"] == "websocket.accept":
            message = await self.message()
        assert message["type"] == "websocket.send", message
        found: dict[str, Any] = orjson.loads(message["text"])
        return found

    async def closed(self) -> int:
        """The close code the app sent next (frames before it are skipped)."""
        while True:
            message = await self.message()
            if message["type"] == "websocket.close":
                return int(message.get("code", 1000))
