"""The Klear Karma domain: services shared by REST handlers and GraphQL resolvers.

Importing the package registers every resource's seed loader and owner lookup.
"""

from __future__ import annotations

from handlers.domain import (  # noqa: F401 - registers loaders and owner lookups
    directory,
    health,
    payment_records,
    preferences,
    records,
    shares,
    sharing,
    users,
    verification,
)
from handlers.domain.context import Domain, domain_of
from handlers.domain.unit import Unit, read, write

__all__ = [
    "Domain",
    "Unit",
    "directory",
    "domain_of",
    "payment_records",
    "read",
    "records",
    "users",
    "write",
]
