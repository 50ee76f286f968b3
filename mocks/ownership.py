"""The store as the identity layer's OwnershipSource (`x-owner` in the spec, server.auth).

Owners of a record are the ids it concerns: its creator, the users and practitioners its
attributes and relationships name, and theirs one hop away (a payment intent's booking).
Shares are declared in the sandbox file:

    shares:
      health_records:                        # the x-owner `share` kind
        resource: HealthRecordShare          # collection of the shares
        owner: /relationships/user/data/id   # pointers into a share record
        grantee: /attributes/practitioner_id
        expires: /attributes/expires_at
        active: {/attributes/status: active}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mocks.rules import MISSING, at_pointer
from mocks.state import SandboxState


class StoreOwnership:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.resources = frozenset(r.type for r in state.catalog.resources.values())
        self.shares: Mapping[str, Mapping[str, Any]] = state.sandbox.shares

    async def owners(self, resource: str, resource_id: str) -> frozenset[str] | None:
        res = self.state.catalog.by_type(resource)
        record = self.state.store.get(res.key, resource_id) if res else None
        if res is None or record is None:
            return None
        return self.state.records.owners(res, record)

    async def share_expiry(
        self, owner: str, grantees: frozenset[str], kind: str
    ) -> datetime | None:
        config = self.shares.get(kind)
        if not config:
            return None
        catalog, store, records = self.state.catalog, self.state.store, self.state.records
        res = catalog.resources.get(str(config.get("resource"))) or catalog.by_type(
            str(config.get("resource"))
        )
        if res is None:
            return None
        latest: datetime | None = None
        for record in store.ordered(res.key):
            rid = records.rid(res, record)
            creator = store.meta_of(res.key, rid).get("creator")
            who = at_pointer(record, str(config.get("owner", "")))
            if owner not in (who, creator):
                continue
            if at_pointer(record, str(config.get("grantee", ""))) not in grantees:
                continue
            active = config.get("active") or {}
            if any(at_pointer(record, p) != v for p, v in active.items()):
                continue
            raw = at_pointer(record, str(config.get("expires", "")))
            if raw is MISSING or not isinstance(raw, str):
                continue
            expires = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            latest = expires if latest is None or expires > latest else latest
        return latest
