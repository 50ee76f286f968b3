"""The one record of a parent (a practitioner's availability): found, or made on first use."""

from __future__ import annotations

from mocks.lookups import Lookups
from mocks.resources import Resource
from mocks.store import Record


class Singletons(Lookups):
    """Singleton records by parent, with an index of the ids found (mixed into mocks.crud.Crud)."""

    _singletons: dict[tuple[str, str, str], str]

    def singleton_id(self, res: Resource, param: str, value: str) -> str | None:
        key = (res.key, param, value)
        found = self._singletons.get(key)
        if found is not None and self.store.get(res.key, found) is not None:
            return found
        for record in self.store.ordered(res.key):
            rid = self.records.rid(res, record)
            if (self.store.meta_of(res.key, rid).get("parents") or {}).get(param) == value:
                self._singletons[key] = rid
                return rid
        return None

    def singleton_record(self, res: Resource, param: str, value: str) -> Record:
        """The one `res` of a parent; a parent that has none yet gets one, generated (the
        same for the same parent and seed), linked to it and stored."""
        rid = self.singleton_id(res, param, value)
        record = self.store.get(res.key, rid) if rid else None
        if record is not None:
            return record
        record = self.records.generated(res, f"singleton:{res.key}:{param}={value}")
        rid = self.linked_id(res, param, value) or self.records.make_id(res, f"{param}={value}")
        record[res.id_field] = rid
        self.records.link_parents(res, record, {param: value})
        record = self.records.complete(res, record, f"singleton:{res.key}:{param}={value}")
        self.store.put(res.key, str(rid), record, {"parents": {param: value}, "seq": 0})
        self.store.save_now()
        self._singletons[(res.key, param, value)] = str(rid)
        return record

    def linked_id(self, res: Resource, param: str, value: str) -> str | None:
        """The id the parent already points at (`relationships.availability`), if any."""
        owner = self.catalog.resource_for_param(param)
        parent = self.store.get(owner.key, value) if owner else None
        rels = parent.get("relationships") if isinstance(parent, dict) else None
        rel = rels.get(res.type) if isinstance(rels, dict) else None
        data = rel.get("data") if isinstance(rel, dict) else None
        rid = data.get("id") if isinstance(data, dict) else None
        fits = res.id_prefix is None or (isinstance(rid, str) and rid.startswith(res.id_prefix))
        if isinstance(rid, str) and fits and self.store.get(res.key, rid) is None:
            return rid
        return None
