"""What handlers and mocks return, and how it goes on the wire (orjson, no Response objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from kkcore.errors import ApiError
from kkcore.types import Send
from server.problems import error_body

JSON_MEDIA = "application/json"


@dataclass(slots=True)
class Reply:
    """A response: `body` is a JSON-able value, or bytes already serialized (sent as they are)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON_MEDIA
    # checked against the spec already (a kept answer: server.answer_cache)
    checked: bool = False
    # `body` already serialized (a kept answer's bytes with this request's meta spliced in)
    encoded: bytes | None = None


def error_reply(error: ApiError, request_id: str) -> Reply:
    headers = dict(error.headers)
    if error.status == 405 and "Allow" not in headers:
        headers["Allow"] = ""
    return Reply(error.status, error_body(error, request_id), headers)


def encode(reply: Reply) -> bytes:
    if reply.encoded is not None:
        return reply.encoded
    body = reply.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str) and not reply.media_type.endswith("json"):
        return body.encode("utf-8")
    return orjson.dumps(body)


async def send_reply(
    send: Send, reply: Reply, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = encode(reply)
    headers: list[tuple[bytes, bytes]] = [(b"content-length", str(len(payload)).encode())]
    if payload or reply.status not in (204, 304):
        if payload:
            headers.append((b"content-type", reply.media_type.encode("latin-1")))
    for k, v in reply.headers.items():
        headers.append((k.lower().encode("latin-1"), v.encode("latin-1")))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
