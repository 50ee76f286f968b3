"""The sandbox's data in the database, loaded idempotently (rows that exist are kept).

What is loaded, in order (as the mock engine seeds its store, see mocks/seeding.py):
1. every JSON:API resource in a 2xx example of the spec's GET operations (`prac_123`...),
2. the sandbox file's `records` (spec/sandbox.yaml; they replace an example of the same id),
3. generated records (`generate` counts of the sandbox file, or the `seed_count` option).

A domain module declares how a resource type becomes rows:

    @loader("practitioner")
    async def load_practitioner(session, record, parents) -> None: ...   # record: JSON:API

    @generator("practitioner")
    def generate_practitioner(rng: random.Random, index: int, words) -> dict: ...  # a record
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Delete, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage.database import Database
from handlers.storage.models import Base

Record = dict[str, Any]
Loader = Callable[[AsyncSession, Record, Mapping[str, Any]], Awaitable[bool]]
Generator = Callable[[random.Random, int, Mapping[str, list[str]]], Record]
# Any constant: the PostgreSQL advisory lock that serializes seeding across workers.
SEED_LOCK = 0x6B6B_7365
# (PostgreSQL) one seeding at a time across workers, for the transaction's length
EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=SEED_LOCK)
LOADERS: dict[str, Loader] = {}
GENERATORS: dict[str, Generator] = {}
# Load order of types (lower first), so rows exist before rows that reference them.
ORDER: dict[str, int] = {}
# sandbox.yaml names collections by schema (Practitioner); loaders by JSON:API type.
TYPE_OF = {"Practitioner": "practitioner", "Booking": "booking", "User": "user"}


def loader(resource_type: str, order: int = 50) -> Callable[[Loader], Loader]:
    """Register how a JSON:API record of `resource_type` is stored; the loader returns False
    when the record is already there (it must not overwrite) or cannot be stored. Types load
    by `order` (users 0, practitioners 10, bookings 20; what refers to those: higher)."""

    def register(fn: Loader) -> Loader:
        LOADERS[resource_type] = fn
        ORDER[resource_type] = order
        return fn

    return register


def generator(resource_type: str) -> Callable[[Generator], Generator]:
    def register(fn: Generator) -> Generator:
        GENERATORS[resource_type] = fn
        return fn

    return register


@dataclass
class SeedPlan:
    """What to load: (type, record, parents) triples in order, and generation counts."""

    records: list[tuple[str, Record, dict[str, Any]]] = field(default_factory=list)
    generate: dict[str, int] = field(default_factory=dict)
    vocabularies: dict[str, list[str]] = field(default_factory=dict)


def _resolve(node: Any, doc: Mapping[str, Any]) -> Any:
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return node


def _examples(doc: Mapping[str, Any]) -> list[tuple[str, Record, dict[str, Any]]]:
    """Examples of reads before those of lists (a read shows the resource in full)."""
    found = sorted(_example_records(doc), key=lambda e: e[3])
    return [(kind, record, parents) for kind, record, parents, _ in found]


def _example_records(
    doc: Mapping[str, Any],
) -> Iterator[tuple[str, Record, dict[str, Any], bool]]:
    for path_item in (doc.get("paths") or {}).values():
        op = (path_item or {}).get("get")
        if not isinstance(op, Mapping):
            continue
        parents = {}
        for param in op.get("parameters") or ():
            param = _resolve(param, doc)
            if param.get("in") == "path":
                examples = _resolve(param.get("schema") or {}, doc).get("examples") or [None]
                parents[param["name"]] = examples[0]
        for code, response in (op.get("responses") or {}).items():
            response = _resolve(response, doc)
            if not str(code).startswith("2") or not isinstance(response, Mapping):
                continue
            for media in (response.get("content") or {}).values():
                for example in (media.get("examples") or {}).values():
                    value = (_resolve(example, doc) or {}).get("value")
                    data = value.get("data") if isinstance(value, Mapping) else None
                    for item in data if isinstance(data, list) else [data]:
                        if isinstance(item, dict) and isinstance(item.get("type"), str):
                            yield item["type"], item, parents, isinstance(data, list)


def _yaml(path: Path) -> Any:
    return _parsed(path.resolve(), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, _mtime: int) -> Any:
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader_class) or {}


def plan(spec_file: Path | None, seed_count: int | None = None) -> SeedPlan:
    """The seed of the spec at `spec_file` and its `sandbox.yaml`."""
    found = SeedPlan()
    if spec_file is None or not spec_file.exists():
        return found
    doc = _yaml(spec_file)
    found.records.extend(copy.deepcopy(_examples(doc)))
    sandbox_file = spec_file.with_name("sandbox.yaml")
    sandbox = _yaml(sandbox_file) if sandbox_file.exists() else {}
    replaced: list[tuple[str, Record, dict[str, Any]]] = []
    for key, entries in (sandbox.get("records") or {}).items():
        for entry in entries or ():
            record = entry.get("data", entry)
            kind = record.get("type") or TYPE_OF.get(key, key)
            replaced.append((kind, record, dict(entry.get("parents") or {})))
    ids = {(k, r.get("id")) for k, r, _ in replaced}
    found.records = replaced + [e for e in found.records if (e[0], e[1].get("id")) not in ids]
    for key, count in (sandbox.get("generate") or {}).items():
        found.generate[TYPE_OF.get(key, key)] = count if seed_count is None else seed_count
    found.vocabularies = dict(sandbox.get("vocabularies") or {})
    return found


async def exclusive(db: Database, session: AsyncSession) -> None:
    """Workers starting together seed one at a time (SQLite: BEGIN IMMEDIATE already does)."""
    if db.dialect == "postgresql":
        await session.execute(EXCLUSIVE)


async def load(db: Database, seed: SeedPlan, rng_seed: int = 0) -> int:
    """Store the plan's records (types without a loader are skipped); returns rows added."""
    async with db.transaction() as session:
        await exclusive(db, session)
        return await load_into(session, seed, rng_seed)


async def load_into(session: AsyncSession, seed: SeedPlan, rng_seed: int = 0) -> int:
    """`load` in the caller's transaction."""
    added = 0
    for kind, record, parents in sorted(seed.records, key=lambda e: ORDER.get(e[0], 50)):
        load_one = LOADERS.get(kind)
        if load_one is not None and await load_one(session, record, parents):
            added += 1
    for kind, count in sorted(seed.generate.items(), key=lambda e: ORDER.get(e[0], 50)):
        make, load_one = GENERATORS.get(kind), LOADERS.get(kind)
        if make is None or load_one is None:
            continue
        rng = random.Random(f"{rng_seed}:{kind}")
        for i in range(count):
            if await load_one(session, make(rng, i, seed.vocabularies), {}):
                added += 1
    return added


async def wipe(db: Database) -> None:
    """Delete every row of every table (a reset outside the sandbox: no seed to load again)."""
    async with db.transaction() as session:
        await exclusive(db, session)
        for statement in emptying():
            await session.execute(statement)


def emptying() -> list[Delete]:
    """A DELETE of every table, children first."""
    return [delete(table) for table in reversed(Base.metadata.sorted_tables)]
