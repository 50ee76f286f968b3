"""The outermost ASGI layer: request id in/out, one access-log line, no stack trace on the wire,
and the headers every answer carries (`X-Content-Type-Options: nosniff`; `Cache-Control:
no-store` on API answers that set no caching of their own, not on the static docs assets)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import orjson

from kkcore.errors import InternalError
from kkcore.types import Receive, Scope, Send
from server.documented import ScopedAnswer, problem_answer
from server.randomhex import token_hex
from server.responses import Reply, send_reply

ASGIApp = Any
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")
# Static documentation: cacheable, and never personal.
CACHEABLE = ("/docs", "/openapi.", "/graphql/assets/")
access_log = logging.getLogger("kk.access")
error_log = logging.getLogger("kk.error")


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for k, v in headers:
        if k == b"x-request-id" and _VALID_ID.match(v):
            return v.decode("ascii")
    return "req_" + token_hex(16)  # as unpredictable as os.urandom, without its system call


class RequestContext:
    """Assigns X-Request-ID, logs one structured line per request, turns crashes into 500s."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log_requests: bool = True,
        trace_ids: bool = False,
        answer: ScopedAnswer | None = None,
        observe: Callable[[Scope, int, float], None] | None = None,
    ) -> None:
        self.app = app
        # metrics of every HTTP request: (scope, status (500 for none sent), seconds)
        # (server.metrics.MetricsMiddleware.observe; this layer already has both)
        self.observe = observe
        # the 500's format: the operation's documented one, else the spec's
        # (server.documented.scoped_answer); RFC 9457 when not given
        self.answer = answer
        self.log_requests = log_requests
        self.trace_ids = trace_ids  # add the OpenTelemetry trace and span id to the log line

    def _crash_reply(self, error: InternalError, scope: Scope, request_id: str) -> Reply:
        if self.answer is not None:
            try:
                return self.answer(error, scope)
            except Exception:  # the documented body could not be made either: say it plainly
                error_log.exception("error answer failed", extra={"request_id": request_id})
        return problem_answer(error, request_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope["headers"])
        scope["kk.request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))
        cacheable = scope["path"].startswith(CACHEABLE)
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), header, NOSNIFF]
                if not cacheable and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        except Exception:
            error_log.exception("unhandled error", extra={"request_id": request_id})
            if scope["type"] == "http" and status == 0:
                status = 500
                error = InternalError(
                    "An unexpected error occurred; quote the request id to support"
                )
                await send_reply(send_with_id, self._crash_reply(error, scope, request_id))
        finally:
            if self.observe is not None and scope["type"] == "http":
                self.observe(scope, status or 500, time.perf_counter() - started)
            if self.log_requests and scope["type"] == "http":
                line = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                }
                if self.trace_ids:
                    from server.tracing import current_ids

                    line.update(current_ids())
                access_log.info(orjson.dumps(line).decode())
