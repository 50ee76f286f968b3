"""What the store holds at start (and after `POST /__sandbox/reset`).

1. The spec's own examples: every resource in a 2xx example of a read, list or singleton
   operation, so the ids the documentation shows (`prac_123`, `booking_123`) exist.
2. The sandbox file's `records` (a YAML file next to the spec, `sandbox.yaml`).
3. Generated resources: the sandbox file's `generate` counts per collection, else (no file)
   `seed_count` for every collection that is listed at a path without parameters.

Webhook subscriptions of examples are stored inactive: they would send events to the hosts
of examples. Nothing is generated for webhook subscriptions and deliveries.
The sandbox file (all keys optional):

    vocabularies: {specialization: [Hatha Yoga, Reiki]}   # x-faker hints picking a word
    generate: {Practitioner: 50}                           # generated records per collection
    records:                                               # records as they are
      Availability: [{parents: {practitioner_id: test_prac_123}, data: {...}}]
    shares: {...}   graphql: {...}                         # see mocks.ownership, mocks.graphql
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kkcore.errors import SpecError
from mocks.fake import GenerationError
from mocks.providers import ProviderContext, ProviderRegistry
from mocks.records import Records
from mocks.resources import Catalog, Resource
from mocks.shapes import deref

log = logging.getLogger("kk.mocks")
SANDBOX_FILE = "sandbox.yaml"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SandboxData:
    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    generate: dict[str, int] | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shares: dict[str, dict[str, Any]] = field(default_factory=dict)
    graphql: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> SandboxData:
        if path is None or not path.exists():
            return cls()
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except yaml.YAMLError as e:
            raise SpecError(f"{path}: not valid YAML: {e}") from e
        if not isinstance(raw, dict):
            raise SpecError(f"{path}: must be a mapping")
        return cls(
            vocabularies={
                str(k): [str(w) for w in v] for k, v in (raw.get("vocabularies") or {}).items()
            },
            generate={str(k): int(v) for k, v in raw["generate"].items()}
            if "generate" in raw
            else None,
            records={str(k): list(v) for k, v in (raw.get("records") or {}).items()},
            shares=dict(raw.get("shares") or {}),
            graphql=dict(raw.get("graphql") or {}),
        )


def add_vocabularies(registry: ProviderRegistry, vocabularies: Mapping[str, list[str]]) -> None:
    """Each vocabulary becomes an `x-faker` hint provider choosing one of its words."""
    for name, words in vocabularies.items():
        if not words or registry.get(name, kind="hint") is not None:
            continue
        choices = tuple(words)

        def pick(ctx: ProviderContext, _words: tuple[str, ...] = choices) -> str:
            return ctx.rng.choice(_words)

        registry.register(name, pick, kind="hint")


class Seeder:
    def __init__(
        self, catalog: Catalog, records: Records, skip: frozenset[str], inactive: frozenset[str]
    ) -> None:
        self.catalog = catalog
        self.records = records
        self.store = records.store
        self.skip = skip  # never generated
        self.inactive = inactive  # stored with `active: false`

    def add(self, res: Resource, record: Any, parents: Mapping[str, Any] | None = None) -> None:
        if not isinstance(record, dict):
            return
        if res.key in self.inactive and self.records.attrs(res, record).get("active") is True:
            record = copy.deepcopy(record)
            self.records.attrs(res, record)["active"] = False
        rid = record.get(res.id_field)
        if rid is None or self.store.get(res.key, str(rid)) is not None:
            return
        if not self.records.validator(res).is_valid(record):
            log.debug("seed %s %s is not valid against its schema; skipped", res.key, rid)
            return
        self.store.put(res.key, str(rid), copy.deepcopy(record), {"parents": dict(parents or {})})

    def examples(self) -> None:
        table = self.catalog.table
        order = {"read": 0, "list": 1, "singleton": 2}
        plans = sorted(
            (p for p in self.catalog.plans.items() if p[1].kind in order and p[1].resource),
            key=lambda p: order[p[1].kind],
        )
        for op_id, plan in plans:
            spec = table["operations"][op_id]
            res = plan.resource
            if res is None:
                continue
            content: dict[str, Any] = spec["responses"][str(plan.status)]["content"]
            media: Mapping[str, Any] = next(iter(content.values()), {})
            parents = {p: self.param_example(spec, p) for p in plan.parents}
            for example in (media.get("examples") or {}).values():
                node = example
                for part in plan.shape.items_at:
                    node = node.get(part) if isinstance(node, dict) else None
                items = node if plan.kind == "list" else [node]
                for item in items if isinstance(items, list) else []:
                    if plan.kind == "singleton":
                        self.add(res, item, parents)
                    else:
                        self.add(res, item)

    def param_example(self, spec: Any, name: str) -> Any:
        for p in spec["parameters"]:
            if p["name"] == name:
                schema = deref(p["schema"], self.catalog.defs)
                examples = schema.get("examples")
                if isinstance(examples, list) and examples:
                    return examples[0]
        return None

    def sandbox_records(self, data: SandboxData) -> None:
        for key, entries in data.records.items():
            res = self.catalog.resources.get(key) or self.catalog.by_type(key)
            if res is None:
                raise SpecError(f"sandbox records: no resource {key!r} in the spec")
            for entry in entries:
                record = entry.get("data", entry) if isinstance(entry, dict) else None
                parents = entry.get("parents") if isinstance(entry, dict) else None
                if record is None:
                    continue
                before = self.store.get(res.key, str(record.get(res.id_field)))
                if before is not None:
                    self.store.remove(res.key, str(record.get(res.id_field)))
                self.add(res, record, parents)
                if self.store.get(res.key, str(record.get(res.id_field))) is None:
                    problems = self.records.validator(res).problems(record)
                    raise SpecError(
                        f"sandbox record {key} {record.get(res.id_field)} does not match "
                        "its schema: " + "; ".join(p.detail for p in problems)
                    )

    def generated(self, counts: Mapping[str, int]) -> None:
        for key, count in counts.items():
            res = self.catalog.resources.get(key) or self.catalog.by_type(key)
            if res is None or res.key in self.skip:
                continue
            for i in range(count):
                rid = self.records.new_id(res, "seed")
                try:
                    record = self.records.generated(res, f"seed:{res.key}:{i}")
                except GenerationError as e:
                    log.warning("cannot generate %s: %s", res.key, e)
                    return
                record[res.id_field] = rid
                self.add(res, record)


def seed_counts(catalog: Catalog, data: SandboxData, seed_count: int | None) -> dict[str, int]:
    if data.generate is not None:
        return {k: (seed_count if seed_count is not None else n) for k, n in data.generate.items()}
    count = 20 if seed_count is None else seed_count
    return {r.key: count for r in catalog.resources.values() if r.listed_top_level}
