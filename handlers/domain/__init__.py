"""The Klear Karma domain: services shared by REST handlers and GraphQL resolvers.

Importing the package registers every resource's seed loader and owner lookup.
"""

from __future__ import annotations

from handlers.domain import health, preferences, shares, sharing, standins, users  # noqa: F401
from handlers.domain.context import Domain, domain_of
from handlers.domain.unit import Unit, read, write

__all__ = ["Domain", "Unit", "domain_of", "read", "users", "write"]
