"""The HTTP side of /graphql in front of ariadne: the request body capped as REST's is.

ariadne reads a whole body into memory before parsing it; here the body is read first, chunk
by chunk, and refused (413 PAYLOAD_TOO_LARGE, a GraphQL error document) as soon as it passes
the limit or its Content-Length announces more, so no more than the limit is ever held.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

from server.bodies import JSON_LIMIT, read_body
from server.errors import PayloadTooLarge

ASGIApp = Any


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, error: PayloadTooLarge) -> None:
    body = orjson.dumps(
        {"errors": [{"message": str(error), "extensions": {"code": error.code, "status": 413}}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Caps the body of HTTP requests to `app` at `limit` bytes (WebSockets pass through)."""

    def __init__(self, app: ASGIApp, limit: int = JSON_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            declared = _declared_length(scope)
            if declared is not None and declared > self.limit:
                raise PayloadTooLarge(f"The request body exceeds the limit of {self.limit} bytes")
            body = await read_body(receive, self.limit)
        except PayloadTooLarge as e:
            await _refuse(send, e)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # the app waits for a disconnect after the body
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
