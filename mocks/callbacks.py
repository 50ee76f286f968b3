"""OpenAPI `callbacks`, fired like webhooks: after a mocked operation that declares callbacks
succeeds, each callback request is sent to the URL its key names.

The key is a runtime expression or a template of them (OpenAPI 3 "Runtime Expressions"):
`{$request.query.callbackUrl}/data`, `{$request.body#/callbackUrl}`,
`https://host/hook?id={$response.body#/id}`; `$request.header.X`, `$request.path.id`,
`$response.header.X`, `$method`, `$statusCode` and `$url` work too. The body is generated
from the callback's request body schema (its example when nothing can be generated).

Delivery is the webhooks' (server.webhooks): the same target checks against SSRF (in
`kk mock` a receiver on this machine is allowed, any other host must be named by
KK_WEBHOOK_HOSTS), the same timeout, attempts and retry schedule. A callback whose URL
cannot be built (the expression names nothing in the request) is skipped with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from kkcore.types import ApiTable, CallbackSpec, OperationSpec
from mocks.fake import FakeData
from mocks.fake.errors import GenerationError
from mocks.loop_clients import LoopClients
from mocks.rules import MISSING, at_pointer
from server.responses import Reply
from server.schemas import directional
from server.webhooks import WebhookSettings

if TYPE_CHECKING:
    from mocks.operation import Request

log = logging.getLogger("kk.callbacks")
_TEMPLATE = re.compile(r"\{(\$[^{}]+)\}")
_BARE = re.compile(r"^\$(url|method|statusCode|request\.\S+|response\.\S+)$")


class Unresolved(Exception):
    """A runtime expression that names nothing in this request or answer."""


def _source(source: str, params: Mapping[str, Any], headers: Any, body: Any) -> Any:
    """`header.X`, `query.x`, `path.x` or `body#/pointer` of one side of the exchange."""
    kind, _, rest = source.partition(".")
    if source == "body" or source.startswith("body#"):
        found = at_pointer(body, source.partition("#")[2]) if "#" in source else body
    elif kind == "header":
        found = headers.get(rest, MISSING) if headers is not None else MISSING
    elif kind in ("query", "path"):
        found = params.get(rest, MISSING)
    else:
        found = MISSING
    if found is MISSING or found is None or isinstance(found, dict | list):
        raise Unresolved(source)
    return found


def evaluate(expression: str, spec: OperationSpec, request: Request, reply: Reply) -> str:
    """The value of one runtime expression (without its braces) as text."""
    if expression == "$method":
        return spec["method"]
    if expression == "$statusCode":
        return str(reply.status)
    if expression == "$url":
        host = request.headers.get("host", "localhost")
        path = re.sub(r"\{([^{}]+)\}", lambda m: str(request.params.get(m[1], m[0])), spec["path"])
        return f"http://{host}{path}"
    side, _, source = expression[1:].partition(".")
    if side == "request":
        found = _source(source, request.params, request.headers, request.body)
    elif side == "response":
        body = reply.body
        if isinstance(body, bytes):  # a pre-serialized answer (a static example)
            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError as e:
                raise Unresolved(expression) from e
        found = _source(source, {}, reply.headers, body)
    else:
        raise Unresolved(expression)
    if isinstance(found, bool):
        return "true" if found else "false"
    return str(found)


def callback_url(template: str, spec: OperationSpec, request: Request, reply: Reply) -> str:
    """The URL of a callback: its key with every runtime expression replaced."""
    bare = template.strip()
    if _BARE.match(bare):
        return evaluate(bare, spec, request, reply)
    return _TEMPLATE.sub(lambda m: evaluate(m[1], spec, request, reply), template)


class CallbackFirer:
    """Sends the callbacks of successful mocked operations, retried like webhooks."""

    def __init__(self, table: ApiTable, fake: FakeData, settings: WebhookSettings) -> None:
        self.defs = table["defs"]
        self.fake = fake
        self.settings = settings
        self.tasks: set[asyncio.Task[None]] = set()
        self.clients = LoopClients(settings.client)

    def fire(self, spec: OperationSpec, request: Request, reply: Reply) -> None:
        """Start every callback of `spec` (only after a 2xx answer)."""
        if not 200 <= reply.status < 300:
            return
        for n, callback in enumerate(spec.get("callbacks") or ()):
            try:
                url = callback_url(callback["url"], spec, request, reply)
            except Unresolved as e:
                log.warning(
                    "callback %s of %s not sent: %s names nothing in this request",
                    callback["name"],
                    spec["operation_id"],
                    e,
                )
                continue
            media_type, payload = self.payload(callback, f"{request.request_id}:{n}")
            task = asyncio.get_running_loop().create_task(
                self._deliver(callback, url, media_type, payload)
            )
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def payload(self, callback: CallbackSpec, key: str) -> tuple[str, bytes]:
        """The callback's body: generated from its schema, else its example, else none."""
        content = callback["content"]
        if not content:
            return "application/json", b""
        media_type = next((m for m in content if "json" in m), next(iter(content)))
        media = content[media_type]
        value: Any = None
        if "schema" in media:
            schema = directional(media["schema"], self.defs, "request")
            with contextlib.suppress(GenerationError):
                value = self.fake.instance(schema, key=key, for_request=True)
        if value is None and media.get("examples"):
            value = next(iter(media["examples"].values()))
        if isinstance(value, str) and "json" not in media_type:
            return media_type, value.encode()
        return media_type, orjson.dumps(value)

    async def _deliver(
        self, callback: CallbackSpec, url: str, media_type: str, body: bytes
    ) -> None:
        s, method = self.settings, callback["method"]
        headers = {"Content-Type": media_type, "User-Agent": "kk-mock-callbacks"}
        name = f"callback {callback['name']}"
        for attempt in range(1, s.attempts + 1):
            async with self.clients.client() as client:
                outcome = await s.send(client, name, url, body, headers, method)
            log.info(
                "%s: %s %s attempt %d: %s%s",
                name,
                method,
                urlsplit(url).path or "/",
                attempt,
                outcome.status,
                f" ({outcome.response_status})" if outcome.response_status else "",
            )
            if outcome.status != "failed" or attempt == s.attempts:
                return
            await asyncio.sleep(s.delay(attempt))

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.clients.close()
