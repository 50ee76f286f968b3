"""graphql-transport-ws under the same bounds as /ws (server.socketguard).

ariadne's handler, with every inbound message bounded (size, rate) and the session re-checked
before it is handled and before each subscription result is sent; `connection_init` is due
within the guard's auth timeout (ariadne closes with 4408), and until it arrives the socket
counts against its address's cap on unauthenticated sockets. `server.graphql` stores the
connection's identity and token in the scope (`kk.identity`, `kk.token`) at connection_init.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from starlette.websockets import WebSocket

from kkcore.types import Receive, Scope, Send
from server.socketguard import CLOSE_TOO_MANY, SocketGuard, client_host


def _initialises(text: str | None) -> bool:
    try:
        message = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        return False
    return isinstance(message, dict) and message.get("type") == "connection_init"


class GuardedTransportWS(GraphQLTransportWSHandler):
    """`GuardedTransportWS(guard, on_connect=...)`; the rest as ariadne's handler."""

    def __init__(self, guard: SocketGuard, **kwargs: Any) -> None:
        super().__init__(
            connection_init_wait_timeout=timedelta(seconds=guard.limits.auth_timeout), **kwargs
        )
        self.guard = guard

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard, host = self.guard, client_host(scope)
        if not guard.admit(host):  # refused before the handshake completes (HTTP 403)
            reason = "Too many unauthenticated sockets from your address"
            await send({"type": "websocket.close", "code": CLOSE_TOO_MANY, "reason": reason})
            return
        counted, bucket = True, guard.bucket()

        async def bounded() -> Any:
            nonlocal counted
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            identity = scope.get("kk.identity")
            closing = await guard.inbound(size, bucket, scope.get("kk.token"), identity)
            if closing is None:
                if counted and _initialises(text):  # no longer an idle, uninitialised socket
                    guard.release(host)
                    counted = False
                return message
            code, reason = closing
            await send({"type": "websocket.close", "code": code, "reason": reason})
            return {"type": "websocket.disconnect", "code": code}

        try:
            await super().handle(scope, bounded, send)
        finally:
            if counted:
                guard.release(host)

    async def observe_async_results(
        self,
        websocket: WebSocket,
        results_producer: AsyncGenerator[Any, None],
        operation_id: str,
        client_context: Any,
    ) -> None:
        guard, scope = self.guard, websocket.scope

        async def checked() -> AsyncIterator[Any]:
            async for result in results_producer:
                closing = await guard.recheck(scope.get("kk.token"), scope.get("kk.identity"))
                if closing is not None:  # expired or revoked since the last message
                    with contextlib.suppress(Exception):
                        await websocket.close(*closing)
                    return
                yield result

        await super().observe_async_results(
            websocket,
            checked(),  # type: ignore[arg-type]
            operation_id,
            client_context,
        )
