"""OAuth 2.0 authorization code flow with PKCE (S256), token refresh and revocation.

    request = client.oauth.authorization_request(redirect_uri, scopes=["read:profile"])
    # send the user to request.url; the redirect brings back ?code=...&state=...
    tokens = client.oauth.exchange_code(code, request)   # the client now uses these tokens

The client refreshes the access token shortly before it expires, and once after a 401.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from klearkarma.generated.spec import OAUTH

REFRESH_LEEWAY = 30.0  # seconds before expiry at which a token counts as expired
METADATA_PATH = "/.well-known/oauth-authorization-server"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PKCE:
    """A code verifier and its S256 challenge (RFC 7636)."""

    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls, length: int = 64) -> PKCE:
        if not 43 <= length <= 128:
            raise ValueError("a PKCE code verifier has 43 to 128 characters")
        verifier = _b64url(secrets.token_bytes(96))[:length]
        return cls(verifier, challenge_of(verifier))


def challenge_of(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and what the code exchange needs afterwards."""

    url: str
    state: str
    code_verifier: str
    redirect_uri: str
    client_id: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    token_type: str = "Bearer"
    expires_at: float | None = None  # Unix time
    scope: str = ""

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: float | None = None) -> TokenSet:
        expires_in = body.get("expires_in")
        issued = time.time() if now is None else now
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token"),
            token_type=str(body.get("token_type", "Bearer")),
            expires_at=issued + float(expires_in) if expires_in is not None else None,
            scope=str(body.get("scope", "")),
        )

    def expired(self, leeway: float = REFRESH_LEEWAY, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at - leeway


def authorization_url(
    auth_url: str,
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str] = (),
    state: str | None = None,
    pkce: PKCE | None = None,
) -> AuthorizationRequest:
    pkce = pkce or PKCE.generate()
    state = state or secrets.token_urlsafe(16)
    query: dict[str, str] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
    }
    scope = " ".join(scopes)
    if scope:
        query["scope"] = scope
    url = f"{auth_url}{OAUTH['authorization_url']}?{urlencode(query)}"
    return AuthorizationRequest(url, state, pkce.verifier, redirect_uri, client_id)


def code_grant(request: AuthorizationRequest, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "client_id": request.client_id,
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.code_verifier,
    }


def refresh_grant(client_id: str, refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}


def token_url(auth_url: str) -> str:
    return auth_url + str(OAUTH.get("refresh_url") or OAUTH["token_url"])
