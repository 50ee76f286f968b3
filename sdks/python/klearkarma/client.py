"""`KlearKarmaClient` and `AsyncKlearKarmaClient`: configuration plus the generated namespaces.

client = KlearKarmaClient(api_key="...", environment="production")
practitioners = client.practitioners.search(specialization="yoga", location="New York")
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from klearkarma.config import DEFAULT_TIMEOUT, ClientConfig
from klearkarma.generated.resources import AsyncNamespaces, SyncNamespaces
from klearkarma.generated.spec import Environment
from klearkarma.login import AsyncOAuth, OAuth
from klearkarma.oauth import TokenSet
from klearkarma.retry import RetryPolicy
from klearkarma.transport import AsyncTransport, SyncTransport

_DOC = """
    Credentials: `api_key` (server to server; KLEARKARMA_API_KEY when omitted), or OAuth
    `tokens` with the `client_id` that obtained them (refreshed automatically), or neither
    and `client.oauth` to sign a user in.
    Where: `environment` (production, staging, development or sandbox;
    KLEARKARMA_ENVIRONMENT) or an explicit `base_url` (KLEARKARMA_BASE_URL), e.g.
    `http://127.0.0.1:8000` for a local `kk sandbox`.
    `retry` bounds the automatic retries of 429 answers; `http_client` replaces the
    underlying httpx client (proxies, transports, event hooks).
"""


class KlearKarmaClient(SyncNamespaces):
    __doc__ = "A client of the Klear Karma API.\n" + _DOC

    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        tokens: TokenSet | None = None,
        client_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.config = ClientConfig.create(
            api_key=api_key,
            environment=environment,
            base_url=base_url,
            tokens=tokens,
            client_id=client_id,
            retry=retry,
            headers=headers,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self._transport = SyncTransport(self.config, self._http)
        self.oauth = OAuth(self._transport)
        super().__init__(self._transport)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def tokens(self) -> TokenSet | None:
        """The OAuth tokens in use (they change when the client refreshes them)."""
        return self.config.credentials.tokens

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncKlearKarmaClient(AsyncNamespaces):
    __doc__ = "An asyncio client of the Klear Karma API; every method is awaited.\n" + _DOC

    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        tokens: TokenSet | None = None,
        client_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = ClientConfig.create(
            api_key=api_key,
            environment=environment,
            base_url=base_url,
            tokens=tokens,
            client_id=client_id,
            retry=retry,
            headers=headers,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._transport = AsyncTransport(self.config, self._http)
        self.oauth = AsyncOAuth(self._transport)
        super().__init__(self._transport)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def tokens(self) -> TokenSet | None:
        return self.config.credentials.tokens

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
