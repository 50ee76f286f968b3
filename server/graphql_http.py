"""The HTTP side of /graphql in front of ariadne: the request body capped as REST's is, and
(for an app whose every answer comes from a versioned store: `kk mock`) answers kept.

ariadne reads a whole body into memory before parsing it; here the body is read first, chunk
by chunk, and refused (413 PAYLOAD_TOO_LARGE, a GraphQL error document) as soon as it passes
the limit or its Content-Length announces more, so no more than the limit is ever held.

A query's answer depends on the request's bytes, its credentials and the data: with a data
version that every write bumps (the mock store's; with handlers, the database's write
generation shared by every worker, see server.answer_cache), the same query gets the same
bytes until the next write, as REST's pages do. Mutations and errors are never kept.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.types import Message, Receive, Scope, Send

from kkcore.errors import PayloadTooLarge
from server.answer_cache import Freshness, stop_watching, watching
from server.bodies import JSON_LIMIT, read_body

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


def _copy(message: Message) -> Message:
    if "headers" in message:
        return {**message, "headers": list(message["headers"])}
    return dict(message)


def _clean(message: Message) -> bool:
    """An answer without errors (a field error may be a moment's: a limit, a failure)."""
    try:
        answer = orjson.loads(message.get("body", b""))
    except orjson.JSONDecodeError:
        return False
    return isinstance(answer, dict) and not answer.get("errors")


class AnswerCache:
    """Answers to queries by (body, Authorization), valid while `version()` is unchanged and
    (with a `clock`) until the moment the resolvers said their answer changes
    (server.answer_cache.valid_until; never kept after `not_cacheable`)."""

    def __init__(
        self,
        version: Callable[[], Hashable | Awaitable[Hashable]],
        parse: Callable[[str], Any],
        size: int = 256,
        clock: Callable[[], datetime] | None = None,
        credentials_ok: Callable[[Scope], Awaitable[bool]] | None = None,
        spend: Callable[[Scope, bytes], Awaitable[bool]] | None = None,
    ):
        # Whether the request's credentials still hold (a token may have expired or been
        # revoked since its answer was kept): checked before a kept answer is sent.
        self.credentials_ok = credentials_ok
        # With rate limits: spends the query's root-field classes before a kept answer is
        # sent; False when a field is over its limit (the app then answers, with the
        # refusals already decided: the classes are spent once per request, kept or not).
        self.spend = spend
        self.version = version
        self.parse = parse
        self.size = size
        self.clock = clock
        self.kept: OrderedDict[
            tuple[bytes, bytes], tuple[Hashable, datetime | None, list[Message]]
        ] = OrderedDict()

    async def current(self) -> Hashable:
        found = self.version()
        return await found if inspect.isawaitable(found) else found

    @staticmethod
    def key(scope: Scope, body: bytes) -> tuple[bytes, bytes]:
        auth = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return body, auth

    def get(self, key: tuple[bytes, bytes], version: Hashable) -> list[Message] | None:
        found = self.kept.get(key)
        if found is None:
            return None
        kept, until, messages = found
        if kept != version or (until is not None and self._expired(until)):
            del self.kept[key]
            return None
        return messages

    def _expired(self, until: datetime) -> bool:
        return self.clock is None or self.clock() >= until

    def is_query(self, body: bytes) -> bool:
        try:
            data = orjson.loads(body)
            document = self.parse(data["query"])
        except (orjson.JSONDecodeError, GraphQLError, KeyError, TypeError):
            return False
        name = data.get("operationName")
        operations = [
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (name is None or (d.name is not None and d.name.value == name))
        ]
        return len(operations) == 1 and operations[0].operation is OperationType.QUERY

    def keep(
        self, key: tuple[bytes, bytes], version: Hashable, fresh: Freshness, sent: list[Message]
    ) -> None:
        if fresh.never or (fresh.until is not None and self._expired(fresh.until)):
            return
        self.kept[key] = (version, fresh.until, sent)
        if len(self.kept) > self.size:
            self.kept.popitem(last=False)


class BodyLimit:
    """Caps the body of HTTP requests to `app` at `limit` bytes (WebSockets pass through)."""

    def __init__(
        self, app: ASGIApp, limit: int = JSON_LIMIT, cache: AnswerCache | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.cache = cache

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

        if self.cache is None:
            await self.app(scope, replay, send)
        else:
            await self._cached(self.cache, scope, body, replay, send)

    async def _cached(
        self, cache: AnswerCache, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> None:
        key = cache.key(scope, body)
        version = await cache.current()  # before the answer is computed: see answer_cache
        found = cache.get(key, version)
        if (
            found is not None
            and (cache.credentials_ok is None or await cache.credentials_ok(scope))
            and (cache.spend is None or await cache.spend(scope, body))
        ):
            for message in found:  # copies: the server and outer layers may change them
                await send(_copy(message))
            return
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(_copy(message))
            await send(message)

        fresh, token = watching()
        try:
            await self.app(scope, receive, keep)
        finally:
            stop_watching(token)
        ok = len(sent) == 2 and sent[0].get("status") == 200
        if ok and _clean(sent[1]) and cache.is_query(body):
            cache.keep(key, version, fresh, sent)
