"""The OAuth 2.0 authorization server: authorization code + PKCE, refresh rotation, revocation.

- RFC 6749 §4.1 with RFC 7636 PKCE, `S256` only (`plain` is refused). A code lives 10 minutes,
  is single-use and bound to its client, redirect URI and challenge; presenting a used code
  again revokes every token issued from it (§4.1.2).
- Refresh tokens rotate on every use; presenting a rotated one again revokes the whole family
  (the access tokens too: they carry the family as `sid`).
- Static test credentials (`add_test_code`, `add_test_refresh`): a code or refresh token
  published on purpose, like a payment provider's test tokens, that works any number of times
  and starts a new session each time. Only the sandbox registers any (handlers/rest/oauth.py).
- RFC 7009 revocation, RFC 8414 metadata. Errors are RFC 6749 §5.2 (`OAuthError`) on the token
  and revocation endpoints and §4.1.2.1 (`AuthorizeError`) on the authorization endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from server.auth.clients import Client, ClientRegistry, has_control_characters
from server.auth.errors import GRANT_TYPES, AuthorizeError, InvalidClient, OAuthError, with_query
from server.auth.store import AuthStore, Grant, Redeemed, digest
from server.auth.tokens import AccessTokens
from server.auth.users import User, UserDirectory

CODE_TTL = 600
REFRESH_TTL = 30 * 86400
REFRESH_PREFIX = "kkr_"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request (the query of GET or the hidden fields of POST)."""

    client: Client
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    challenge: str


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


class AuthorizationServer:
    """Grant logic over a client registry, a user directory, a store and the token issuer."""

    def __init__(
        self,
        *,
        clients: ClientRegistry,
        users: UserDirectory,
        store: AuthStore,
        tokens: AccessTokens,
        scopes: Collection[str],
        default_scopes: Collection[str] = (),
    ) -> None:
        self.clients = clients
        self.users = users
        self.store = store
        self.tokens = tokens
        self.scopes = frozenset(scopes)
        self.default_scopes = tuple(default_scopes)
        # Published test credentials (digest -> grant): never in the store, never used up.
        self._test_codes: dict[str, Grant] = {}
        self._test_refresh: dict[str, Grant] = {}

    def add_test_code(self, code: str, grant: Grant) -> None:
        """A reusable code that lives only in this process (the sandbox's documented one)."""
        self._test_codes[digest(code)] = grant

    def add_test_refresh(self, token: str, grant: Grant) -> None:
        """A reusable refresh token that lives only in this process (the sandbox's)."""
        self._test_refresh[digest(token)] = grant

    def _test_grant(self, table: dict[str, Grant], secret: str) -> Grant | None:
        """A test credential's grant with a session of its own (revoking one session of
        the published credential must not end everyone else's)."""
        grant = table.get(digest(secret)) if table else None
        return None if grant is None else replace(grant, family="sid_" + secrets.token_hex(12))

    # -- authorization endpoint -----------------------------------------------------------

    def trusted_redirect(self, params: Mapping[str, Any]) -> str | None:
        """The redirect URI if the client is known and registered it, else None."""
        client = self.clients.get(_text(params, "client_id"))
        uri = _text(params, "redirect_uri")
        if client is None or uri is None or not client.allows_redirect(uri):
            return None
        return uri

    def check(self, params: Mapping[str, Any]) -> AuthorizationRequest:
        """Validate an authorization request, or raise AuthorizeError (§4.1.2.1)."""
        client = self.clients.get(_text(params, "client_id"))
        if client is None:
            raise AuthorizeError("invalid_request", "Unknown client_id", None)
        if has_control_characters(_text(params, "redirect_uri") or ""):
            raise AuthorizeError(
                "invalid_request",
                "The redirect_uri contains control characters (CR, LF, TAB...); "
                "percent-encode them",
                None,
            )
        redirect_uri = self.trusted_redirect(params)
        if redirect_uri is None:
            raise AuthorizeError(
                "invalid_request", "The redirect_uri is not registered for this client", None
            )
        state = _text(params, "state")

        def refuse(error: str, description: str) -> AuthorizeError:
            return AuthorizeError(error, description, redirect_uri, state)

        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", "Only response_type=code is supported")
        if params.get("code_challenge_method") != "S256":
            raise refuse(
                "invalid_request",
                "PKCE is required with code_challenge_method=S256 (plain is refused)",
            )
        challenge = _text(params, "code_challenge") or ""
        if not _CHALLENGE.match(challenge):
            raise refuse("invalid_request", "code_challenge must be BASE64URL(SHA256(verifier))")
        scope = _text(params, "scope")
        scopes = tuple(dict.fromkeys(scope.split())) if scope else self.default_scopes
        unknown = [s for s in scopes if s not in self.scopes]
        if unknown:
            raise refuse("invalid_scope", f"Unknown scope: {' '.join(unknown)}")
        if client.scopes is not None:
            refused = [s for s in scopes if s not in client.scopes]
            if refused:
                raise refuse("invalid_scope", f"{' '.join(refused)} is not allowed for this client")
        return AuthorizationRequest(client, redirect_uri, scopes, state, challenge)

    async def approve(self, request: AuthorizationRequest, user: User) -> str:
        """Issue a code for a signed-in user; the URL to redirect to (code and state)."""
        refused = [s for s in request.scopes if s not in user.scopes]
        if refused:
            raise AuthorizeError(
                "invalid_scope",
                f"{' '.join(refused)} cannot be granted to this user",
                request.redirect_uri,
                request.state,
            )
        code = secrets.token_urlsafe(32)
        await self.store.add_code(
            code,
            Grant(
                client_id=request.client.client_id,
                subject=user.id,
                scope=" ".join(request.scopes),
                claims=user.token_claims(),
                family="sid_" + secrets.token_hex(12),
                redirect_uri=request.redirect_uri,
                challenge=request.challenge,
                expires_at=time.time() + CODE_TTL,
            ),
        )
        params = {"code": code}
        if request.state is not None:
            params["state"] = request.state
        return with_query(request.redirect_uri, params)

    # -- token endpoint -------------------------------------------------------------------

    def authenticate_client(
        self, body: Mapping[str, Any], authorization: str | None, *, required: bool = True
    ) -> Client | None:
        """client_secret_basic, client_secret_post or a public client's client_id."""
        client_id, secret, basic = _text(body, "client_id"), _text(body, "client_secret"), False
        if authorization and authorization[:6].lower() == "basic ":
            try:
                raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
                user, _, password = raw.partition(":")
            except (ValueError, UnicodeDecodeError) as e:
                raise InvalidClient("Malformed Basic credentials", basic=True) from e
            if client_id is not None and client_id != unquote(user):
                raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
            client_id, secret, basic = unquote(user), unquote(password), True
        if client_id is None:
            if required:
                raise InvalidClient("Missing client_id")
            return None
        client = self.clients.get(client_id)
        if client is None or not client.check_secret(secret):
            raise InvalidClient(basic=basic)
        return client

    async def token(self, body: Mapping[str, Any], authorization: str | None) -> dict[str, Any]:
        """The token response (RFC 6749 §5.1) for a grant, or OAuthError."""
        grant_type = body.get("grant_type")
        if grant_type not in GRANT_TYPES:
            raise OAuthError(
                "unsupported_grant_type", "Only authorization_code and refresh_token are supported"
            )
        client = self.authenticate_client(body, authorization)
        if client is None:  # authenticate_client raises first; this narrows the type
            raise InvalidClient()
        if grant_type == "authorization_code":
            return await self._code_grant(client, body)
        return await self._refresh_grant(client, body)

    async def _code_grant(self, client: Client, body: Mapping[str, Any]) -> dict[str, Any]:
        code, verifier = _text(body, "code") or "", _text(body, "code_verifier") or ""
        try:
            grant = self._test_grant(self._test_codes, code) or await self.store.take_code(code)
        except Redeemed as e:
            await self.store.revoke("family", e.family, time.time() + REFRESH_TTL)
            raise OAuthError(
                "invalid_grant", "The code was already used; the tokens issued from it are revoked"
            ) from e
        if grant is None:
            raise OAuthError("invalid_grant", "Unknown authorization code")
        if grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client")
        if grant.expires_at <= time.time():
            raise OAuthError("invalid_grant", "The code has expired")
        if body.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        if not _VERIFIER.match(verifier) or not hmac.compare_digest(
            s256(verifier), grant.challenge
        ):
            raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge")
        return await self._issue(grant, grant.scope)

    async def _refresh_grant(self, client: Client, body: Mapping[str, Any]) -> dict[str, Any]:
        token = _text(body, "refresh_token") or ""
        test = self._test_grant(self._test_refresh, token)
        # Check the request against the grant first: a refused request must not use the token.
        seen = test or await self.store.refresh_grant(token)
        if seen is None or seen.expires_at <= time.time():
            raise OAuthError("invalid_grant", "Unknown or expired refresh token")
        if seen.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client")
        scope = seen.scope
        requested = _text(body, "scope")
        if requested is not None:
            extra = [s for s in requested.split() if s not in seen.scope.split()]
            if extra:
                raise OAuthError(
                    "invalid_scope", f"{' '.join(extra)} was not granted to this session"
                )
            scope = " ".join(dict.fromkeys(requested.split()))
        try:
            grant = test or await self.store.use_refresh(token)
        except Redeemed as e:
            await self.store.revoke("family", e.family, time.time() + REFRESH_TTL)
            raise OAuthError(
                "invalid_grant",
                "The refresh token was already used; every token of this session is revoked",
            ) from e
        if grant is None:
            raise OAuthError("invalid_grant", "Unknown or expired refresh token")
        if await self.users.get(grant.subject) is None:
            raise OAuthError("invalid_grant", "The user no longer exists")
        return await self._issue(grant, scope)

    async def _issue(self, grant: Grant, scope: str) -> dict[str, Any]:
        access, _ = self.tokens.issue(
            grant.subject,
            scope.split(),
            client_id=grant.client_id,
            sid=grant.family,
            **grant.claims,
        )
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        # The new refresh token keeps the session's full scope (RFC 6749 §6).
        await self.store.add_refresh(
            refresh,
            Grant(
                client_id=grant.client_id,
                subject=grant.subject,
                scope=grant.scope,
                claims=grant.claims,
                family=grant.family,
                expires_at=time.time() + REFRESH_TTL,
            ),
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.tokens.ttl,
            "scope": scope,
        }

    # -- revocation endpoint (RFC 7009) ---------------------------------------------------

    async def revoke(self, body: Mapping[str, Any], authorization: str | None) -> None:
        """Revoke a refresh token (its whole family) or an access token; unknown tokens pass."""
        client = self.authenticate_client(body, authorization, required=False)
        token = _text(body, "token") or ""
        if token.startswith(REFRESH_PREFIX):
            grant = await self.store.refresh_grant(token)
            if grant is None:
                return
            owner = self.clients.get(grant.client_id)
            authenticated = client.client_id if client is not None else None
            if owner is not None and not owner.public and authenticated != owner.client_id:
                raise InvalidClient("This client may not revoke the token")
            if client is not None and client.client_id != grant.client_id:
                raise OAuthError("unauthorized_client", "The token was issued to another client")
            await self.store.revoke("family", grant.family, time.time() + REFRESH_TTL)
            return
        claims = self.tokens.peek(token)
        if claims is None or "jti" not in claims:
            return
        if client is not None and claims.get("client_id") not in (None, client.client_id):
            raise OAuthError("unauthorized_client", "The token was issued to another client")
        await self.store.revoke("jti", str(claims["jti"]), float(claims.get("exp", time.time())))

    # -- metadata (RFC 8414) --------------------------------------------------------------

    def metadata(self, endpoints: Mapping[str, str]) -> dict[str, Any]:
        """Server metadata; `endpoints` maps authorization/token/revocation/jwks to paths."""
        base = self.tokens.issuer.rstrip("/")
        return {
            "issuer": self.tokens.issuer,
            "authorization_endpoint": base + endpoints["authorization"],
            "token_endpoint": base + endpoints["token"],
            "revocation_endpoint": base + endpoints["revocation"],
            "jwks_uri": base + endpoints["jwks"],
            "scopes_supported": sorted(self.scopes),
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
        }
