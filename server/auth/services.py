"""The identity services of one app, assembled from the data directory and the spec.

`build_auth` is called by `kkapp.factory.build`; handlers reach the result through
`auth_of(request.services)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kkcore.errors import StartupError
from kkcore.types import ApiTable
from server.auth.api_keys import ApiKeys
from server.auth.backoff import LoginBackoff
from server.auth.clients import ClientRegistry
from server.auth.keys import KeyRing
from server.auth.oauth import AuthorizationServer
from server.auth.store import AuthStore
from server.auth.tokens import AccessTokens, Revocations, invalid
from server.auth.users import MemoryUsers
from server.identity import Identity


class BearerAuthenticator:
    """The server.identity.Authenticator: an API key (`kk_...`) or an RS256 JWT."""

    def __init__(self, tokens: AccessTokens, api_keys: ApiKeys, store: AuthStore) -> None:
        self.tokens = tokens
        self.api_keys = api_keys
        self.store = store

    async def authenticate(self, token: str) -> Identity:
        if ApiKeys.looks_like(token):
            key = await self.api_keys.find(token)
            if key is None:
                raise invalid("Unknown or revoked API key")
            return key.identity()
        # Revocations made by other workers or earlier runs, re-read at most every 5 s.
        await self.store.ready()
        await self.store.sync_revocations()
        return self.tokens.verify(token)


@dataclass
class AuthServices:
    keys: KeyRing
    tokens: AccessTokens
    store: AuthStore
    users: MemoryUsers
    clients: ClientRegistry
    oauth: AuthorizationServer
    api_keys: ApiKeys
    authenticator: BearerAuthenticator
    backoff: LoginBackoff

    def issue_token(
        self, subject: str, scopes: Iterable[str], *, user_type: str = "patient", **claims: Any
    ) -> str:
        """An access token without the OAuth dance (tests, scripts, `kk` tooling)."""
        return self.tokens.issue(subject, scopes, user_type=user_type, **claims)[0]


def declared_scopes(table: ApiTable) -> list[str]:
    """Every scope the spec names: its OAuth flows, security requirements and `x-owner`s."""
    found: dict[str, None] = {}
    for scheme in table.get("security_schemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            found.update(dict.fromkeys(flow.get("scopes") or {}))
    for op in table["operations"].values():
        for requirement in op["security"]:
            for scopes in requirement.values():
                found.update(dict.fromkeys(scopes))
        owner = op["extensions"].get("x-owner")
        if isinstance(owner, Mapping):
            found.update(dict.fromkeys(owner.get("bypass") or ()))
    return list(found)


def build_auth(
    data_dir: Path,
    *,
    issuer: str,
    audience: str,
    scopes: Iterable[str],
    default_scopes: Iterable[str] = (),
    database_url: str | None = None,
    counters: Any = None,
) -> AuthServices:
    """Keys under `<data_dir>/keys`, state in `<data_dir>/identity.sqlite3` (or
    `database_url`), confidential clients from `<data_dir>/clients.json`; sign-in back-off
    counted in `counters` (the rate limiter's `limits` storage), else in memory."""
    revoked = Revocations()
    store = (
        AuthStore(database_url, revoked) if database_url else AuthStore.in_dir(data_dir, revoked)
    )
    try:
        keys = KeyRing(data_dir / "keys")
    except (OSError, ValueError) as e:
        raise StartupError(f"cannot load or create signing keys in {data_dir / 'keys'}: {e}") from e
    tokens = AccessTokens(keys, issuer, audience, revocations=revoked)
    users = MemoryUsers()
    clients = ClientRegistry()
    clients.load(data_dir / "clients.json")
    oauth = AuthorizationServer(
        clients=clients,
        users=users,
        store=store,
        tokens=tokens,
        scopes=tuple(scopes),
        default_scopes=tuple(default_scopes),
    )
    api_keys = ApiKeys(store)
    return AuthServices(
        keys=keys,
        tokens=tokens,
        store=store,
        users=users,
        clients=clients,
        oauth=oauth,
        api_keys=api_keys,
        authenticator=BearerAuthenticator(tokens, api_keys, store),
        backoff=LoginBackoff(counters),
    )


def auth_of(services: Mapping[str, Any]) -> AuthServices:
    """The app's AuthServices from `request.services` (or `runtime.extras`)."""
    auth = services.get("auth")
    if not isinstance(auth, AuthServices):
        raise LookupError("this app has no identity services (mock mode has no auth)")
    return auth
