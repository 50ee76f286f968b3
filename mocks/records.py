"""Resource records: new ids, composing a record from a request, keeping it schema-valid,
and reading its links (parents, owners) — the same for JSON:API and plain resources."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from mocks.fake import FakeData, GenerationError
from mocks.resources import Catalog, OpPlan, Resource
from mocks.shapes import deref, properties, required
from mocks.store import Record, Store
from server.validation import CompiledSchema

TIMESTAMPS = ("created_at", "updated_at")
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
Clock = Callable[[], str]
ID_ATTEMPTS = 1_000
log = logging.getLogger("kk.mocks")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fixed_clock(moment: str) -> Clock:
    return lambda: moment


def deep_merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; anything else (arrays, scalars, null) replaces."""
    out = dict(base)
    for key, value in changes.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            out[key] = deep_merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (an orjson round trip: ~10x `copy.deepcopy`)."""
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:  # not JSON data (a tuple key, a 65-bit integer): copy it the slow way
        return copy.deepcopy(value)


def replace_strings(node: Any, old: str, new: str) -> Any:
    """`node` with `old` replaced by `new` in every string (containers are new, not shared)."""
    if isinstance(node, str):
        return node.replace(old, new) if old and old in node else node
    if isinstance(node, list):
        return [replace_strings(n, old, new) for n in node]
    if isinstance(node, dict):
        return {k: replace_strings(v, old, new) for k, v in node.items()}
    return node


class Records:
    """Record-level operations of one engine (catalog + store + fake data + clock)."""

    def __init__(self, catalog: Catalog, store: Store, fake: FakeData, clock: Clock) -> None:
        self.catalog = catalog
        self.store = store
        self.fake = fake
        self.clock = clock
        self.defs = catalog.defs
        self._validators: dict[str, CompiledSchema] = {}
        self._id_checks: dict[str, re.Pattern[str] | None] = {}
        self._warned: set[str] = set()

    # -- ids ----------------------------------------------------------------------------------

    def new_id(self, res: Resource, salt: str = "") -> Any:
        """A fresh id, deterministic for (seed, collection, counter): `booking_k3...`."""
        for _ in range(ID_ATTEMPTS):
            n = self.store.next_number(res.key)
            rid = self.make_id(res, f"{salt}{n}", n)
            if rid is not None and self.store.get(res.key, str(rid)) is None:
                return rid
        # The id schema allows too few values (an enum, a pattern the generator cannot meet,
        # examples only): serve on with an id outside it rather than refuse to start.
        while True:
            n = self.store.next_number(res.key)
            digest = hashlib.sha256(f"{self.fake.seed}|{res.key}|{salt}{n}".encode()).digest()
            rid = str(uuid.UUID(bytes=digest[:16], version=4))
            if self.store.get(res.key, rid) is None:
                if res.key not in self._warned:
                    self._warned.add(res.key)
                    log.warning("%s: no fresh id fits its schema; using uuids instead", res.key)
                return rid

    def make_id(self, res: Resource, n: str, number: int = 0) -> Any:
        schema = res.id_schema
        if deref(schema, schema.get("$defs", {})).get("type") == "integer":
            return number or int(hashlib.sha256(n.encode()).hexdigest()[:6], 16)
        digest = hashlib.sha256(f"{self.fake.seed}|{res.key}|{n}".encode()).digest()
        if deref(schema, schema.get("$defs", {})).get("format") == "uuid":
            return str(uuid.UUID(bytes=digest[:16], version=4))
        token = "".join(_ALNUM[b % 36] for b in digest)
        check = self._id_check(res)
        if res.id_prefix is not None and check is not None:
            for length in (12, 10, 8, 16, 6, 24, 4):
                candidate = res.id_prefix + token[:length]
                if check.search(candidate):
                    return candidate
        try:
            return self.fake.instance(schema, key=f"id:{res.key}:{n}")
        except GenerationError:
            return None

    def _id_check(self, res: Resource) -> re.Pattern[str] | None:
        if res.key not in self._id_checks:
            pattern = deref(res.id_schema, res.id_schema.get("$defs", {})).get("pattern")
            try:
                self._id_checks[res.key] = re.compile(pattern) if isinstance(pattern, str) else None
            except re.error:
                self._id_checks[res.key] = None
        return self._id_checks[res.key]

    # -- shape of records ---------------------------------------------------------------------

    def rid(self, res: Resource, record: Mapping[str, Any]) -> str:
        return str(record.get(res.id_field))

    def attrs(self, res: Resource, record: Record) -> dict[str, Any]:
        """The mutable attribute map of a record."""
        if not res.jsonapi:
            return record
        found = record.get("attributes")
        if not isinstance(found, dict):
            found = record["attributes"] = {}
        return found

    def document(self, plan: OpPlan, record: Record) -> Any:
        return {"data": record} if plan.shape.items_at == ("data",) else record

    def validator(self, res: Resource) -> CompiledSchema:
        found = self._validators.get(res.key)
        if found is None:
            found = self._validators[res.key] = CompiledSchema(res.schema)
        return found

    def declared(self, res: Resource, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values the resource declares (writeOnly ones left for the hidden meta)."""
        return {
            k: copy.deepcopy(v)
            for k, v in values.items()
            if k in res.attributes and k not in res.hidden
        }

    def required_attributes(self, res: Resource) -> list[str]:
        if res.jsonapi:
            attributes = properties(res.ref, self.defs).get("attributes")
            return [n for n in required(attributes, self.defs) if n not in res.hidden]
        return [n for n in required(res.ref, self.defs) if n not in res.hidden]

    def stamp(self, res: Resource, record: Record, *, created: bool) -> None:
        attrs = self.attrs(res, record)
        now = self.clock()
        for name in TIMESTAMPS if created else TIMESTAMPS[1:]:
            if name in res.attributes:
                attrs[name] = now

    def generated(self, res: Resource, key: str) -> Record:
        value = self.fake.instance(res.schema, key=key)
        return value if isinstance(value, dict) else {}

    def complete(self, res: Resource, record: Record, key: str) -> Record:
        """`record` made valid against its schema: missing required values and invalid ones
        come from a generated instance (deterministic by `key`)."""
        check = self.validator(res)
        if check.is_valid(record):
            return record
        try:
            made = self.generated(res, key)
        except GenerationError:
            return record
        if res.jsonapi:
            record.setdefault("type", made.get("type", res.type))
        attrs, fallback = self.attrs(res, record), self.attrs(res, made)
        for name in self.required_attributes(res):
            if name not in attrs and name in fallback:
                attrs[name] = copy.deepcopy(fallback[name])
        for _ in range(3):
            problems = check.problems(record)
            if not problems:
                return record
            for problem in problems:
                self._repair(res, record, attrs, fallback, problem.pointer or "")
        if check.is_valid(record):
            return record
        made[res.id_field] = record.get(res.id_field)
        return made

    def _repair(
        self,
        res: Resource,
        record: Record,
        attrs: dict[str, Any],
        fallback: Mapping[str, Any],
        pointer: str,
    ) -> None:
        parts = pointer.strip("/").split("/") if pointer.strip("/") else []
        if res.jsonapi:
            if len(parts) >= 2 and parts[0] == "relationships":
                rels = record.get("relationships")
                if isinstance(rels, dict):
                    rels.pop(parts[1], None)
                return
            parts = parts[1:] if parts and parts[0] == "attributes" else []
        if not parts:
            return
        name = parts[0]
        if name in fallback:
            attrs[name] = copy.deepcopy(fallback[name])
        else:
            attrs.pop(name, None)

    # -- links --------------------------------------------------------------------------------

    def link_parents(self, res: Resource, record: Record, parents: Mapping[str, Any]) -> None:
        """Write path parents into the record where it declares them (`pet_id`, a
        `conversation` relationship, `payment_intent_id` for an `intent_id` parameter)."""
        attrs = self.attrs(res, record)
        for param, value in parents.items():
            parent = self.catalog.resource_for_param(param)
            names = {param} | ({f"{parent.type}_id"} if parent else set())
            for name in names:
                if name in res.attributes and name not in res.hidden:
                    attrs[name] = value
            if res.jsonapi and parent is not None and parent.type in res.relationships:
                rels = record.setdefault("relationships", {})
                rels[parent.type] = {"data": {"id": value, "type": parent.type}}

    def sync_relationships(self, res: Resource, record: Record) -> None:
        """A to-one relationship follows the `<name>_id` attribute next to it."""
        if not res.jsonapi:
            return
        attrs = self.attrs(res, record)
        rels = record.get("relationships")
        for name in res.relationships:
            value = attrs.get(f"{name}_id")
            if not isinstance(value, str):
                continue
            current = rels.get(name) if isinstance(rels, dict) else None
            data = current.get("data") if isinstance(current, dict) else None
            if isinstance(data, dict):
                data["id"] = value
            elif self.catalog.by_type(name) is not None:
                rels = record.setdefault("relationships", {})
                rels[name] = {"data": {"id": value, "type": name}}

    def mentions(self, res: Resource, record: Record) -> set[str]:
        """Ids a record points at: `*_id` attributes and relationship targets."""
        found: set[str] = set()
        for name, value in self.attrs(res, record).items():
            if name.endswith("_id") and isinstance(value, str):
                found.add(value)
        rels = record.get("relationships") if res.jsonapi else None
        if isinstance(rels, dict):
            for rel in rels.values():
                data = rel.get("data") if isinstance(rel, dict) else None
                for item in data if isinstance(data, list) else [data]:
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        found.add(item["id"])
        return found

    def belongs_to(
        self, res: Resource, record: Record, param: str, value: Any, hop: bool = True
    ) -> bool:
        """Whether a record sits under the path parent `param` = `value`."""
        rid = self.rid(res, record)
        meta = self.store.meta_of(res.key, rid)
        if (meta.get("parents") or {}).get(param) == value:
            return True
        attrs = self.attrs(res, record)
        if param in attrs:
            return bool(attrs[param] == value)
        mentioned = self.mentions(res, record)
        if value in mentioned:
            return True
        if not hop:
            return False
        for other in mentioned:
            found = self.store.find(other)
            if found is None:
                continue
            other_res = self.catalog.resources.get(found[0])
            if other_res is not None and self.belongs_to(other_res, found[1], param, value, False):
                return True
        return False

    def owners(self, res: Resource, record: Record) -> frozenset[str]:
        """Who a record concerns: its creator, the ids it mentions and theirs one hop away."""
        rid = self.rid(res, record)
        meta = self.store.meta_of(res.key, rid)
        found = self.mentions(res, record)
        creator = meta.get("creator")
        if isinstance(creator, str):
            found.add(creator)
        for other in list(found):
            hit = self.store.find(other)
            if hit is None or hit[0] == res.key:
                continue
            other_res = self.catalog.resources.get(hit[0])
            if other_res is not None:
                found |= self.mentions(other_res, hit[1])
                other_creator = self.store.meta_of(hit[0], other).get("creator")
                if isinstance(other_creator, str):
                    found.add(other_creator)
        found.discard(rid)
        return frozenset(found)
