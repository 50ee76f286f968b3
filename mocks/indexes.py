"""What the store keeps next to a collection so a write costs O(1), whatever its size.

- `Ordering`: the collection in answer order (created records newest first, then the seeded
  ones in insertion order), kept as records are written instead of re-sorted per write;
- `KeyIndex`: records by a key derived from them (an `x-mock-unique` rule's values), so a
  uniqueness check is a dict lookup instead of a walk over the collection.

Both are rebuilt from the collection when the store loads a whole state (seed, reset, file).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

Record = dict[str, Any]
KeyOf = Callable[[Record], Hashable | None]


class Ordering:
    """One collection in answer order; `listed()` is cached until the next change."""

    def __init__(self, records: Mapping[str, Record], meta: Mapping[str, Mapping[str, Any]]):
        created = [(meta.get(rid, {}).get("seq", 0), rid, r) for rid, r in records.items()]
        fresh = sorted((c for c in created if c[0] > 0), key=lambda c: c[0])
        self.fresh: dict[str, Record] = {rid: r for _, rid, r in fresh}  # oldest first
        self.rest: dict[str, Record] = {rid: r for s, rid, r in created if s <= 0}
        self.seqs: dict[str, int] = {rid: s for s, rid, _ in fresh}
        self.top = fresh[-1][0] if fresh else 0
        self._listed: list[Record] | None = None

    def put(self, rid: str, record: Record, seq: int) -> bool:
        """Place a written record; False when it does not fit incrementally (rebuild)."""
        self._listed = None
        if rid in self.fresh:
            if self.seqs[rid] != seq:
                return False
            self.fresh[rid] = record
        elif rid in self.rest:
            if seq > 0:
                return False
            self.rest[rid] = record
        elif seq > 0:
            if seq <= self.top:
                return False
            self.fresh[rid], self.seqs[rid], self.top = record, seq, seq
        else:
            self.rest[rid] = record
        return True

    def remove(self, rid: str) -> None:
        self._listed = None
        self.fresh.pop(rid, None)
        self.seqs.pop(rid, None)
        self.rest.pop(rid, None)

    def listed(self) -> list[Record]:
        if self._listed is None:
            self._listed = [*reversed(self.fresh.values()), *self.rest.values()]
        return self._listed


class KeyIndex:
    """Record ids by `key_of(record)`; records whose key is None are not indexed.

    Several ids may share a key (seeded data is not checked for uniqueness). Keys that
    cannot be hashed (a list or object value) are kept apart and compared one by one.
    """

    def __init__(self, key_of: KeyOf, records: Mapping[str, Record]) -> None:
        self.key_of = key_of
        self.ids: dict[Hashable, set[str]] = {}
        self.loose: dict[str, Any] = {}  # rid -> an unhashable key
        self.keys: dict[str, Any] = {}  # rid -> its key as indexed (records may change in place)
        for rid, record in records.items():
            self.add(rid, record)

    def add(self, rid: str, record: Record) -> None:
        key = self.key_of(record)
        if key is None:
            return
        self.keys[rid] = key
        try:
            self.ids.setdefault(key, set()).add(rid)
        except TypeError:
            self.loose[rid] = key

    def discard(self, rid: str) -> None:
        key = self.keys.pop(rid, None)
        if key is None:
            return
        if self.loose.pop(rid, None) is not None:
            return
        holders = self.ids.get(key)
        if holders is not None:
            holders.discard(rid)
            if not holders:
                del self.ids[key]

    def holders(self, key: Any) -> Iterator[str]:
        """Ids of the records whose key equals `key`."""
        try:
            yield from self.ids.get(key, ())
        except TypeError:
            yield from (rid for rid, k in self.keys.items() if k == key)
            return
        yield from (rid for rid, k in self.loose.items() if k == key)
