"""The Klear Karma domain: services shared by REST handlers and GraphQL resolvers.

Importing the package registers every resource's seed loader and owner lookup.
"""

from __future__ import annotations

from handlers.domain import (  # noqa: F401 - registers loaders and owner lookups
    booking_resources,
    directory,
    health,
    payment_resources,
    preferences,
    share_resources,
    sharing,
    users,
    verification,
)
from handlers.domain.context import Domain, domain_of
from handlers.domain.unit import Unit, read, write

__all__ = [
    "Domain",
    "Unit",
    "booking_resources",
    "directory",
    "domain_of",
    "payment_resources",
    "read",
    "users",
    "write",
]
