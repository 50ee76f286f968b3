"""The sandbox's control endpoints (`POST /__sandbox/...`, e.g. reset) are not for other sites.

A cross-site page can make a browser send a "simple" POST without asking (no CORS
preflight), but not one with a custom header or an Authorization header. So a control call
must carry `X-KK-Sandbox-Reset: 1` or a valid bearer credential; CORS, which lets only
localhost origins through in the sandbox, refuses the preflight of any other site. Each call
spends the `sandbox_reset` rate-limit class (a reset reseeds the whole database).
"""

from __future__ import annotations

from typing import Any

from kkcore.errors import ApiError, InsufficientPermissions
from kkcore.types import Receive, Scope, Send
from server.documented import ScopedAnswer
from server.identity import Authenticator, Identity, bearer_token
from server.responses import Reply, error_reply, send_reply

PREFIX = "/__sandbox/"
HEADER = b"x-kk-sandbox-reset"
RATE_CLASS = "sandbox_reset"


def _jsonapi(error: ApiError, scope: Scope) -> Reply:
    return error_reply(error, scope.get("kk.request_id", ""))


class SandboxGuard:
    """`answer` writes a refusal in the served spec's error format (server.documented)."""

    def __init__(
        self,
        app: Any,
        authenticator: Authenticator | None,
        limiter: Any,
        answer: ScopedAnswer = _jsonapi,
    ) -> None:
        self.app, self.authenticator, self.limiter = app, authenticator, limiter
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            identity = await self._caller(scope)
            extra = await self.limiter.hit(scope, identity, RATE_CLASS) if self.limiter else []
        except ApiError as e:
            await send_reply(send, self.answer(e, scope))
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start" and extra:
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _caller(self, scope: Scope) -> Identity | None:
        headers = dict(scope["headers"])
        if headers.get(HEADER) == b"1":
            return None
        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        if token is not None and self.authenticator is not None:
            try:
                return await self.authenticator.authenticate(token)
            except ApiError:
                pass
        raise InsufficientPermissions(
            f"{scope['path']} needs the header X-KK-Sandbox-Reset: 1 or a valid bearer "
            "token (so that no other site can call it from a browser)"
        )
