"""CORS for browsers, with its refusals in the spec's error format.

Starlette's CORSMiddleware refuses a preflight (an origin, method or header not allowed) with
a `text/plain` 400; a client of the served spec gets it the way the spec writes errors
instead: the documented 400 of the operation the preflight asks for, else RFC 9457 problem
details (JSON:API under `x-error-format: jsonapi`).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware

from kkcore.errors import BadRequest
from kkcore.types import Receive, Scope, Send
from server.documented import ScopedAnswer
from server.responses import send_reply

_REPLACED = ("content-length", "content-type")


class SpecCors(CORSMiddleware):
    def __init__(self, app: Any, answer: ScopedAnswer, **options: Any) -> None:
        super().__init__(app, **options)
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        preflight = (
            scope["type"] == "http"
            and scope["method"] == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        )
        if not preflight:
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code < 400:
            await response(scope, receive, send)
            return
        reason = bytes(response.body).decode("utf-8", "replace")  # "Disallowed CORS origin"
        error = BadRequest(f"The CORS preflight was refused: {reason}")
        # answered for the operation the browser asked to call (its documented 400)
        asked = {**scope, "method": headers["access-control-request-method"].upper()}
        reply = self.answer(error, asked)
        kept = {k: v for k, v in response.headers.items() if k.lower() not in _REPLACED}
        reply.headers = {**kept, **reply.headers}
        await send_reply(send, reply)
