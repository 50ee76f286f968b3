"""Identity hook: who is calling, and may they call this operation (scopes from the spec)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kkcore.errors import ApiError, AuthenticationRequired, InsufficientPermissions, InvalidToken
from kkcore.types import Scope


@dataclass(frozen=True, slots=True)
class Identity:
    """The authenticated caller of one request."""

    subject: str
    scopes: frozenset[str]
    kind: str = "jwt"
    user_type: str = "patient"
    tier: str = "free"
    claims: dict[str, Any] = field(default_factory=dict)

    def has(self, scopes: list[str]) -> bool:
        return self.scopes.issuperset(scopes)


def callers(identity: Identity, acts_as: Iterable[str] = ()) -> frozenset[str]:
    """The ids the caller acts as: its subject, and the string value of each token claim the
    spec's `x-acts-as` names (the flagship: `practitioner_id`, a practitioner's account acting
    as its practitioner)."""
    linked = (identity.claims.get(claim) for claim in acts_as)
    return frozenset((identity.subject, *(v for v in linked if isinstance(v, str))))


class Authenticator(Protocol):
    """Turns the bearer credential of a request into an Identity, or raises InvalidToken."""

    async def authenticate(self, token: str) -> Identity: ...


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def identify(scope: Scope, authenticator: Authenticator) -> Identity | None:
    """The caller of a request, resolved once per request and kept in the scope.

    A bad credential does not raise here: it is kept as `scope["kk.auth_error"]` so the
    request can still be counted (per IP) before `authorize` answers 401.
    """
    if "kk.identity" in scope:
        found: Identity | None = scope["kk.identity"]
        return found
    identity: Identity | None = None
    raw = next((v for k, v in scope["headers"] if k == b"authorization"), None)
    if raw is not None:
        header = raw.decode("latin-1")
        token = bearer_token(header)
        try:
            if token is None:
                raise InvalidToken(
                    "The Authorization header must be 'Bearer <token>'",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
                )
            identity = await authenticator.authenticate(token)
        except ApiError as e:
            scope["kk.auth_error"] = e
    scope["kk.identity"] = identity
    return identity


def authorize(identity: Identity | None, requirements: list[dict[str, list[str]]]) -> None:
    """Raise unless some alternative of the operation's security requirement is met."""
    if not requirements or any(not r for r in requirements):
        return
    if identity is None:
        raise AuthenticationRequired(
            "This operation requires a bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    best: list[str] | None = None
    for requirement in requirements:
        needed = sorted({s for scopes in requirement.values() for s in scopes})
        missing = [s for s in needed if s not in identity.scopes]
        if not missing:
            return
        if best is None or len(missing) < len(best):
            best = missing
    raise InsufficientPermissions(
        f"Missing scope: {' '.join(best or [])}",
        headers={
            "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(best or [])}"'
        },
    )
