"""The sandbox's data: collections of resources in memory, optionally persisted to one file.

Reads never wait: a mutation changes the dicts in one synchronous step. Mutations that must
check-then-write (uniqueness, state machines) and the file write that follows run under the
store's asyncio lock, so concurrent requests never interleave inside one. The file is written
whole, to a temporary file that then replaces the old one (`os.replace`), so a crash leaves
either the old state or the new one, never half of each.

Bounded: each collection keeps at most `limit` created records (those a request wrote after
the seed; `meta["seq"] > 0`). Creating one more evicts the oldest created record as a delete
would: its meta, its index entries and its place in the order go with it, and a read of its
id answers 404. The seeded records (examples, sandbox file, generated ones; singletons made on
first use) are never evicted and do not count. Evictions publish no event; the store's
`evicted` callbacks hear of each (the webhook dispatcher drops a subscription's retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

import orjson

from mocks.indexes import KeyIndex, KeyOf, Ordering

log = logging.getLogger("kk.mocks")
FORMAT = 1
LIMIT = 10_000  # created records kept per collection (`kk mock --max-records`)

Record = dict[str, Any]
Evicted = Callable[[str, str, Record], None]


class Store:
    """collection key -> id -> record, with per-record hidden meta (parents, creator, secrets)."""

    def __init__(
        self, path: Path | None = None, fingerprint: str = "", limit: int | None = LIMIT
    ) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.limit = limit  # None: unbounded
        self.evicted: list[Evicted] = []
        self.records: dict[str, dict[str, Record]] = {}
        self.meta: dict[str, dict[str, dict[str, Any]]] = {}
        self.counters: dict[str, int] = {}
        self._order: dict[str, Ordering] = {}
        self._indexes: dict[str, dict[Hashable, KeyIndex]] = {}
        self._created: dict[str, dict[str, None]] = {}  # created ids, oldest first
        self._seed: bytes | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.version = 0

    # -- reading ------------------------------------------------------------------------------

    def get(self, key: str, rid: str) -> Record | None:
        return self.records.get(key, {}).get(rid)

    def meta_of(self, key: str, rid: str) -> dict[str, Any]:
        return self.meta.get(key, {}).get(rid, {})

    def ordered(self, key: str) -> list[Record]:
        """Records of a collection: created ones newest first, then the seeded ones in order."""
        found = self._order.get(key)
        if found is None:
            found = self._order[key] = Ordering(self.records.get(key, {}), self.meta.get(key, {}))
        return found.listed()

    def index(self, key: str, name: Hashable, key_of: KeyOf) -> KeyIndex:
        """Ids of a collection by `key_of(record)`, kept up to date by every write."""
        built = self._indexes.setdefault(key, {})
        found = built.get(name)
        if found is None:
            found = built[name] = KeyIndex(key_of, self.records.get(key, {}))
        return found

    def ids(self, key: str) -> Iterator[str]:
        return iter(self.records.get(key, {}))

    def find(self, rid: str) -> tuple[str, Record] | None:
        """The collection and record of an id, whatever its collection."""
        for key, records in self.records.items():
            if rid in records:
                return key, records[rid]
        return None

    # -- writing (callers hold `lock()` when they check before writing) -----------------------

    def put(self, key: str, rid: str, record: Record, meta: dict[str, Any] | None = None) -> None:
        records = self.records.setdefault(key, {})
        metas = self.meta.setdefault(key, {})
        new = rid not in records
        if new and meta is not None and "seq" not in meta and self._seed:
            self.counters["__seq__"] = self.counters.get("__seq__", 0) + 1
            meta["seq"] = self.counters["__seq__"]
        records[rid] = record
        if meta is not None:
            metas[rid] = meta
        for index in self._indexes.get(key, {}).values():
            index.discard(rid)
            index.add(rid, record)
        order = self._order.get(key)
        if order is not None and not order.put(rid, record, metas.get(rid, {}).get("seq", 0)):
            del self._order[key]
        self.version += 1
        if new and metas.get(rid, {}).get("seq", 0) > 0:
            self._created.setdefault(key, {})[rid] = None
            self._evict(key)

    def _evict(self, key: str) -> None:
        """Remove the oldest created records of `key` beyond the limit."""
        created = self._created.get(key)
        while created and self.limit is not None and len(created) > self.limit:
            oldest = next(iter(created))
            record = self.remove(key, oldest)
            if record is not None:
                for hear in self.evicted:
                    hear(key, oldest, record)

    def created(self, key: str) -> list[str]:
        """Ids of the created records of a collection, oldest first (the next evicted first)."""
        return list(self._created.get(key, ()))

    def remove(self, key: str, rid: str) -> Record | None:
        record = self.records.get(key, {}).pop(rid, None)
        self.meta.get(key, {}).pop(rid, None)
        self._created.get(key, {}).pop(rid, None)
        for index in self._indexes.get(key, {}).values():
            index.discard(rid)
        order = self._order.get(key)
        if order is not None:
            order.remove(rid)
        self.version += 1
        return record

    def next_number(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """The store's lock (one per event loop: tests drive one engine from several loops)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            yield

    # -- seed, reset, persistence -------------------------------------------------------------

    def dump(self) -> bytes:
        collections = {
            key: [
                [rid, record, self.meta.get(key, {}).get(rid, {})] for rid, record in recs.items()
            ]
            for key, recs in self.records.items()
        }
        return orjson.dumps(
            {
                "format": FORMAT,
                "fingerprint": self.fingerprint,
                "counters": self.counters,
                "collections": collections,
            }
        )

    def load(self, raw: bytes) -> None:
        data = orjson.loads(raw)
        self.records, self.meta = {}, {}
        for key, rows in data["collections"].items():
            self.records[key] = {rid: record for rid, record, _ in rows}
            self.meta[key] = {rid: meta for rid, _, meta in rows}
        self.counters = dict(data.get("counters") or {})
        self._order.clear()
        self._indexes.clear()  # rebuilt on their next use
        self._created = {}
        for key, metas in self.meta.items():
            seqs = sorted((m.get("seq", 0), rid) for rid, m in metas.items() if m.get("seq", 0) > 0)
            self._created[key] = {rid: None for _, rid in seqs}
            self._evict(key)  # a file saved under a larger limit
        self.version += 1

    def seal_seed(self) -> None:
        """Remember the current content as the seed that `reset` restores."""
        self._seed = self.dump()

    def reset(self) -> None:
        if self._seed is not None:
            self.load(self._seed)

    def restore_file(self) -> bool:
        """Load the state file if it exists and was written for the same spec and seed."""
        if self.path is None or not self.path.exists():
            return False
        try:
            raw = self.path.read_bytes()
            data = orjson.loads(raw)
            if data.get("format") != FORMAT or data.get("fingerprint") != self.fingerprint:
                log.warning("%s is from another spec or seed; starting from the seed", self.path)
                return False
            self.load(raw)
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            log.warning("cannot read %s (%s); starting from the seed", self.path, e)
            return False
        return True

    def save_now(self) -> None:
        if self.path is not None:
            write_atomically(self.path, self.dump())

    async def save(self) -> None:
        """Persist (call with the lock held): serialize here, write in a thread."""
        if self.path is not None:
            await asyncio.to_thread(write_atomically, self.path, self.dump())


def write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
