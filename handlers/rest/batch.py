"""Klear Karma's batch: up to 20 REST calls in one request, each through the app itself.

Every operation is an in-process request to the app's own ASGI stack with the caller's
credentials, so it is identified, rate-limited, validated, authorized and answered exactly
as if it had been called alone; one failing does not stop or undo the others.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson

from generated import models
from handlers.domain.context import domain_of
from handlers.domain.jsonapi import single
from handlers.lifecycle import domain_group
from handlers.storage.ids import new_id
from kkcore.errors import BadRequest, InternalError, Problem
from server.problems import error_document
from server.responses import Reply

batch = domain_group("batch")
# The caller's credentials and preferences travel with each operation.
FORWARDED = frozenset({b"authorization", b"x-api-key", b"accept", b"accept-language", b"origin"})


async def call(
    app: Any, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes, bytes]:
    """One in-process HTTP request: status, body and content type of the answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    status, chunks, media = 500, [], b""

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, media
        if message["type"] == "http.response.start":
            status = message["status"]
            media = next(
                (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), b""
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks), media


def _document(raw: bytes, media: bytes) -> dict[str, Any] | None:
    if not raw or b"json" not in media:
        return None
    try:
        found = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


async def run_one(
    app: Any, base: str, op: Any, forwarded: list[tuple[bytes, bytes]], request_id: str
) -> dict[str, Any]:
    path, _, query = str(op["path"]).partition("?")
    if unquote(path).rstrip("/") == "/batch":
        nested = BadRequest(problems=[Problem("A batch cannot contain /batch", pointer="/path")])
        return {"id": op["id"], "status": 400, "body": error_document(nested, request_id)}
    headers = list(forwarded)
    body = b""
    if "body" in op:
        body = orjson.dumps(op["body"])
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    try:
        status, raw, media = await call(app, op["method"], base + path, query, headers, body)
    except Exception:  # the app answers its own errors; this is a bug, not the caller's fault
        error = InternalError("The operation failed unexpectedly")
        return {"id": op["id"], "status": 500, "body": error_document(error, request_id)}
    return {"id": op["id"], "status": status, "body": _document(raw, media)}


@batch.operation("executeBatch")
async def execute_batch(request: models.ExecuteBatchRequest) -> Reply:
    """Run the operations in order; one result (status and body) per operation."""
    app = request.services.get("app")
    if app is None:
        raise InternalError("This app cannot call itself")
    base = str(request.operation["path"]).removesuffix("/batch")
    forwarded = [(k.lower(), v) for k, v in request.headers.raw if k.lower() in FORWARDED]
    results = []
    for op in request.body["data"]["attributes"]["operations"]:
        results.append(await run_one(app, base, op, forwarded, request.request_id))
    data = {"id": new_id("batch"), "type": "batch", "attributes": {"results": results}}
    return Reply(200, single(data, request.request_id, domain_of(request.services).clock()))
