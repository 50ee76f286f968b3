"""Who is asking: the caller of a REST operation or GraphQL field, as the services see it.

REST operations are checked by the pipeline's `x-owner` step before they reach a service;
GraphQL resolvers are not, so the services check object-level access themselves with these.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.access import callers
from server.errors import AuthenticationRequired, InsufficientPermissions
from server.identity import Identity

# Scopes that may act on any user's data (the spec's `x-owner` bypass of the users' operations).
ADMIN_SCOPES = frozenset({"admin:users", "admin:platform"})


@dataclass(frozen=True)
class Viewer:
    subject: str
    ids: frozenset[str]
    scopes: frozenset[str] = frozenset()
    request_id: str | None = None
    user_type: str = "patient"

    @classmethod
    def of(cls, identity: Identity | None, request_id: str | None = None) -> Viewer:
        """The viewer of an identity; 401 without one (every operation here needs a token)."""
        if identity is None:
            raise AuthenticationRequired("Send a bearer token")
        return cls(
            identity.subject,
            callers(identity),
            frozenset(identity.scopes),
            request_id,
            identity.user_type,
        )

    @property
    def admin(self) -> bool:
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
