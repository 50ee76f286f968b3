"""`client.oauth`: sign a user in with the authorization code flow and PKCE."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from klearkarma.encoding import check
from klearkarma.errors import ConfigurationError
from klearkarma.oauth import (
    METADATA_PATH,
    PKCE,
    AuthorizationRequest,
    TokenSet,
    authorization_url,
    code_grant,
    token_url,
)
from klearkarma.transport import AsyncTransport, SyncTransport, _Base


class _OAuthBase:
    _transport: _Base

    def authorization_request(
        self,
        redirect_uri: str,
        scopes: Iterable[str] = (),
        *,
        client_id: str | None = None,
        state: str | None = None,
        pkce: PKCE | None = None,
    ) -> AuthorizationRequest:
        """The URL to send the user to, with a fresh state and PKCE verifier."""
        credentials = self._transport.config.credentials
        client_id = client_id or credentials.client_id
        if not client_id:
            raise ConfigurationError("an OAuth client_id is needed (KlearKarmaClient(client_id=))")
        credentials.client_id = client_id
        return authorization_url(
            self._transport.config.auth_url, client_id, redirect_uri, scopes, state, pkce
        )

    def _token_request(self, http: httpx.Client | httpx.AsyncClient, form: dict[str, str]) -> Any:
        return http.build_request(
            "POST",
            token_url(self._transport.config.auth_url),
            data=form,
            headers=dict(self._transport.config.headers),
        )

    def _endpoint(self, metadata: Any, name: str) -> str:
        """An endpoint of the metadata, on the origin this client was configured with (the
        server may not know the address it is reached at, e.g. behind a proxy)."""
        if not isinstance(metadata, dict) or not metadata.get(name):
            raise ConfigurationError(f"the authorization server publishes no {name}")
        return self._transport.config.auth_url + urlsplit(str(metadata[name])).path

    def _revocation_form(self, token: str | None) -> dict[str, str]:
        credentials = self._transport.config.credentials
        tokens = credentials.tokens
        token = token or (tokens.refresh_token or tokens.access_token if tokens else None)
        if not token:
            raise ConfigurationError("no token to revoke")
        form = {"token": token}
        if credentials.client_id:
            form["client_id"] = credentials.client_id
        return form


class OAuth(_OAuthBase):
    _transport: SyncTransport

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def exchange_code(self, code: str, request: AuthorizationRequest) -> TokenSet:
        """Redeem the code of `request`; the client uses (and refreshes) the tokens."""
        http = self._transport.http
        response = http.send(self._token_request(http, code_grant(request, code)))
        return self._transport.store(check(response, oauth=True))

    def refresh(self) -> TokenSet:
        return self._transport.refresh()

    def revoke(self, token: str | None = None) -> None:
        """Revoke `token` (default: the refresh token in use) at the server's revocation
        endpoint, found through its RFC 8414 metadata."""
        http, config = self._transport.http, self._transport.config
        metadata = check(http.get(config.auth_url + METADATA_PATH, headers=config.headers))
        check(
            http.post(
                self._endpoint(metadata, "revocation_endpoint"),
                data=self._revocation_form(token),
                headers=config.headers,
            ),
            oauth=True,
        )


class AsyncOAuth(_OAuthBase):
    _transport: AsyncTransport

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def exchange_code(self, code: str, request: AuthorizationRequest) -> TokenSet:
        http = self._transport.http
        response = await http.send(self._token_request(http, code_grant(request, code)))
        return self._transport.store(check(response, oauth=True))

    async def refresh(self) -> TokenSet:
        return await self._transport.refresh()

    async def revoke(self, token: str | None = None) -> None:
        http, config = self._transport.http, self._transport.config
        metadata = check(await http.get(config.auth_url + METADATA_PATH, headers=config.headers))
        response = await http.post(
            self._endpoint(metadata, "revocation_endpoint"),
            data=self._revocation_form(token),
            headers=config.headers,
        )
        check(response, oauth=True)
