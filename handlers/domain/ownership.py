"""The database as the identity layer's OwnershipSource (`x-owner`, server.auth.access).

A domain module declares whose a resource is:

    @owns("booking")
    async def booking_owners(session: AsyncSession, booking_id: str) -> frozenset[str] | None:
        ...

Resources no module declares are asked of the previous source (the mock store), so an app
half on handlers, half on mocks checks both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.audit import audit_denial
from handlers.domain.context import Domain
from handlers.storage.models import HealthRecordShare
from server.answer_cache import not_cacheable
from server.ports import OwnershipSource

OwnerLookup = Callable[[AsyncSession, str], Awaitable[frozenset[str] | None]]
OWNERS: dict[str, OwnerLookup] = {}
# x-owner `share` kinds the database answers.
SHARE_KINDS = frozenset({"health_records"})


def owns(resource: str) -> Callable[[OwnerLookup], OwnerLookup]:
    """Register the owner lookup of a resource type (the `x-owner: resource` name)."""

    def register(fn: OwnerLookup) -> OwnerLookup:
        OWNERS[resource] = fn
        return fn

    return register


class DatabaseOwnership:
    def __init__(self, domain: Domain, previous: OwnershipSource | None) -> None:
        self.domain = domain
        self.previous = previous
        self.resources = frozenset(OWNERS) | (previous.resources if previous else frozenset())

    async def owners(self, resource: str, resource_id: str) -> frozenset[str] | None:
        lookup = OWNERS.get(resource)
        if lookup is None:
            if self.previous is None:
                return None
            return await self.previous.owners(resource, resource_id)
        await self.domain.ready()
        async with self.domain.db.session() as session:
            found = await lookup(session, resource_id)
        if found is None and self.previous is not None and resource in self.previous.resources:
            # not in the database: an app half on mocks may keep it in the mock store
            return await self.previous.owners(resource, resource_id)
        return found

    def now(self) -> datetime:
        """The domain's clock (a sandbox started with `now` judges share expiry by it)."""
        not_cacheable()  # share expiry: an answer that depends on it is never kept
        return self.domain.clock()

    async def denied(
        self, op_id: str, actor: str | None, params: Mapping[str, Any], request_id: str
    ) -> None:
        """Audit an x-owner denial of an audited operation (handlers.domain.audit)."""
        await audit_denial(self.domain, op_id, actor, params, request_id, "denied")

    async def share_expiry(
        self, owner: str, grantees: frozenset[str], kind: str
    ) -> datetime | None:
        if kind in SHARE_KINDS:
            not_cacheable()  # judged by the clock
            await self.domain.ready()
            async with self.domain.db.session() as session:
                latest = await session.scalar(
                    select(func.max(HealthRecordShare.expires_at)).where(
                        HealthRecordShare.user_id == owner,
                        HealthRecordShare.practitioner_id.in_(grantees),
                        HealthRecordShare.status == "active",
                        HealthRecordShare.revoked_at.is_(None),
                        HealthRecordShare.expires_at > self.domain.clock(),
                    )
                )
            # The database is the only record of these shares: a revocation here must not be
            # outweighed by a stale copy in the mock store.
            return latest
        if self.previous is not None:
            return await self.previous.share_expiry(owner, grantees, kind)
        return None
