"""Who is asking: the one caller type of every service, for REST operations, GraphQL fields
and /ws frames alike, and the one place it is built (`Caller.of`).

REST operations are checked by the pipeline's `x-owner` step before they reach a service;
GraphQL resolvers and /ws frames are not, so the services check object-level access
themselves with `admin`, `ids` and `require`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generated.api_table import TABLE
from kkcore.errors import AuthenticationRequired, InsufficientPermissions
from server.identity import Identity, callers

# Scopes that may act on any user's data: the spec's `x-owner` bypass (every operation that
# names one names these; tests/handlers/domain/test_caller.py holds the two together).
ADMIN_SCOPES = frozenset({"admin:users", "admin:platform"})
# Token claims naming more ids a caller acts as (the spec's `x-acts-as`: practitioner_id).
ACTS_AS = tuple(TABLE.get("acts_as") or ())


@dataclass(frozen=True)
class Caller:
    """The identity's subject, every id it acts as (a practitioner's account also acts as
    its practitioner id), its scopes, and the request (or /ws connection) it came with."""

    subject: str
    ids: frozenset[str]
    scopes: frozenset[str] = frozenset()
    request_id: str | None = None
    user_type: str = "patient"

    @classmethod
    def of(cls, identity: Identity | None, request_id: str | None = None) -> Caller:
        """The caller of an identity; 401 without one (every operation here needs a token)."""
        if identity is None:
            raise AuthenticationRequired("Send a bearer token")
        return cls(
            identity.subject,
            callers(identity, ACTS_AS),
            frozenset(identity.scopes),
            request_id,
            identity.user_type,
        )

    @property
    def admin(self) -> bool:
        """Whether a bypass scope lets it act on anyone's data."""
        return not self.scopes.isdisjoint(ADMIN_SCOPES)

    def may_act_for(self, user_id: str) -> bool:
        """The user themself, or an administrator."""
        return user_id in self.ids or self.admin

    def require(self, user_id: str) -> None:
        if not self.may_act_for(user_id):
            raise InsufficientPermissions(
                "This acts on another user's data; that needs one of: "
                + ", ".join(sorted(ADMIN_SCOPES))
            )


def caller_of(request: Any) -> Caller:
    """The caller of a REST request (the pipeline authenticated it; `x-owner` checked it)."""
    return Caller.of(request.identity, request.request_id)
