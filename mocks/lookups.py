"""What the kind handlers read: the stored records a request names, and its render context."""

from __future__ import annotations

from typing import Any

from mocks.operation import CrudHooks, OpContext, Request, not_found
from mocks.records import Records
from mocks.resources import Catalog, Resource
from mocks.store import Record, Store


class Lookups:
    """The engine's store, records and catalog (set by mocks.crud.Crud) and reads on them."""

    hooks: CrudHooks
    store: Store
    records: Records
    catalog: Catalog

    def context(self, request: Request, record: Record | None = None) -> dict[str, Any]:
        identity = request.identity
        return {
            "now": self.records.clock(),
            "caller": identity.subject if identity is not None else None,
            "params": request.params,
            "body": request.body,
            "record": record,
            "related": lambda name: self.related(record, name),
        }

    def related(self, record: Record | None, name: str) -> Record | None:
        """The stored record whose id `record`'s attribute `name` holds."""
        if record is None:
            return None
        attributes = record.get("attributes")
        value = (attributes if isinstance(attributes, dict) else record).get(name)
        hit = self.store.find(str(value)) if isinstance(value, str) else None
        return hit[1] if hit else None

    def existing(self, ctx: OpContext, request: Request) -> Record:
        res, param = ctx.resource, ctx.plan.id_param or ""
        rid = request.params.get(param)
        record = self.store.get(res.key, str(rid))
        if record is None:
            raise not_found(res, rid, param)
        return record

    def check_parents(self, ctx: OpContext, request: Request) -> dict[str, Any]:
        parents = {p: request.params.get(p) for p in ctx.plan.parents}
        for param, value in parents.items():
            owner = self.catalog.resource_for_param(param)
            if owner is None or owner is ctx.plan.resource:
                continue
            if self.store.get(owner.key, str(value)) is None:
                raise not_found(owner, value, param)
        return parents

    def pointer(self, res: Resource, name: str) -> str:
        return f"/data/attributes/{name}" if res.jsonapi else f"/{name}"
