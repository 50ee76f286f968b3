"""Send one call: credentials, token refresh, retries on 429, typed errors, unwrapping.

`SyncTransport` and `AsyncTransport` differ only in how they wait for the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

import httpx

from klearkarma.config import ClientConfig
from klearkarma.encoding import RequestParts, build, check, unwrap
from klearkarma.errors import APIConnectionError
from klearkarma.oauth import TokenSet, refresh_grant, token_url
from klearkarma.pagination import AsyncPage, Page
from klearkarma.types import Operation


def _offset_name(op: Operation) -> str | None:
    return next(
        (n for n, (w, wire) in op["inputs"].items() if (w, wire) == ("query", "offset")), None
    )


def _at(arguments: Mapping[str, Any], offset_name: str | None, offset: int) -> dict[str, Any]:
    if offset_name is None:
        raise RuntimeError("this list operation has no offset parameter")
    return {**arguments, offset_name: offset}


def _start(arguments: Mapping[str, Any], offset_name: str | None) -> int:
    value = arguments.get(offset_name) if offset_name else None
    return value if isinstance(value, int) else 0


class _Base:
    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def request(self, http: httpx.Client | httpx.AsyncClient, parts: RequestParts) -> httpx.Request:
        headers = {**self.config.headers, **parts.headers}
        authorization = self.config.credentials.authorization()
        if authorization:
            headers["Authorization"] = authorization
        return http.build_request(
            parts.method,
            self.config.base_url + parts.path,
            params=parts.params,
            headers=headers,
            json=parts.json,
            data=parts.data,
            files=parts.files,
        )

    def should_refresh(self, response: httpx.Response | None) -> bool:
        credentials = self.config.credentials
        if not credentials.refreshable or credentials.tokens is None:
            return False
        return credentials.tokens.expired() if response is None else response.status_code == 401

    def refresh_request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        credentials = self.config.credentials
        tokens, client_id = credentials.tokens, credentials.client_id
        if tokens is None or tokens.refresh_token is None or client_id is None:
            raise RuntimeError("nothing to refresh")
        return http.build_request(
            "POST",
            token_url(self.config.auth_url),
            data=refresh_grant(client_id, tokens.refresh_token),
            headers={**self.config.headers},
        )

    def store(self, body: Any) -> TokenSet:
        tokens = TokenSet.from_response(body)
        if tokens.refresh_token is None and self.config.credentials.tokens is not None:
            tokens = TokenSet(
                tokens.access_token,
                self.config.credentials.tokens.refresh_token,
                tokens.token_type,
                tokens.expires_at,
                tokens.scope,
            )
        self.config.credentials.tokens = tokens
        return tokens


class SyncTransport(_Base):
    def __init__(self, config: ClientConfig, http: httpx.Client) -> None:
        super().__init__(config)
        self.http = http

    def send(self, parts: RequestParts) -> httpx.Response:
        refreshed = False
        attempt = 0
        while True:
            if self.should_refresh(None):
                self.refresh()
                refreshed = True
            response = self._send(self.request(self.http, parts))
            if not refreshed and self.should_refresh(response):
                self.refresh()
                refreshed = True
                continue
            delay = self.config.retry.delay(response, attempt)
            if delay is None:
                return response
            response.close()
            self.config.retry.sleep(delay)
            attempt += 1

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.http.send(request)
        except httpx.TransportError as e:
            raise APIConnectionError(f"{request.method} {request.url}: {e}") from e

    def refresh(self) -> TokenSet:
        response = self._send(self.refresh_request(self.http))
        return self.store(check(response, oauth=True))

    def call(self, op: Operation, arguments: Mapping[str, Any]) -> Any:
        body = check(self.send(build(op, arguments)))
        if op["result"] != "page" or not isinstance(body, Mapping):
            return unwrap(op, body)
        offset_name = _offset_name(op)

        def fetch(offset: int) -> Page[Any]:
            return cast(Page[Any], self.call(op, _at(arguments, offset_name, offset)))

        return Page(body.get("data") or [], body, _start(arguments, offset_name), fetch)


class AsyncTransport(_Base):
    def __init__(self, config: ClientConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config)
        self.http = http
        self._refreshing = asyncio.Lock()

    async def send(self, parts: RequestParts) -> httpx.Response:
        refreshed = False
        attempt = 0
        while True:
            if self.should_refresh(None):
                await self.refresh(self.config.credentials.tokens)
                refreshed = True
            response = await self._send(self.request(self.http, parts))
            if not refreshed and self.should_refresh(response):
                await self.refresh(self.config.credentials.tokens)
                refreshed = True
                continue
            delay = self.config.retry.delay(response, attempt)
            if delay is None:
                return response
            await response.aclose()
            await self.config.retry.async_sleep(delay)
            attempt += 1

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.http.send(request)
        except httpx.TransportError as e:
            raise APIConnectionError(f"{request.method} {request.url}: {e}") from e

    async def refresh(self, stale: TokenSet | None = None) -> TokenSet:
        """New tokens, unless a concurrent call already replaced `stale` ones."""
        async with self._refreshing:
            current = self.config.credentials.tokens
            if stale is not None and current is not None and current is not stale:
                return current
            response = await self._send(self.refresh_request(self.http))
            return self.store(check(response, oauth=True))

    async def call(self, op: Operation, arguments: Mapping[str, Any]) -> Any:
        body = check(await self.send(build(op, arguments)))
        if op["result"] != "page" or not isinstance(body, Mapping):
            return unwrap(op, body)
        offset_name = _offset_name(op)

        async def fetch(offset: int) -> AsyncPage[Any]:
            return cast(AsyncPage[Any], await self.call(op, _at(arguments, offset_name, offset)))

        return AsyncPage(body.get("data") or [], body, _start(arguments, offset_name), fetch)
