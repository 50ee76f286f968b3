"""The store's bound: at most `limit` created records per collection, the oldest created one
evicted as a delete would remove it (meta, index entries, order), the seeded ones kept; the
same after a state file is written and read back, whatever the limit it was written under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kkapp.config import AppConfig
from kkapp.factory import build
from mocks.store import Record, Store
from tests.engine import FIXTURES, client

KEY = "things"
SEEDED = {"s1": {"slot": "a", "state": "open"}, "s2": {"slot": "b", "state": "closed"}}
SLOTS = st.sampled_from(["a", "b", "c"])
STATES = st.sampled_from(["open", "closed"])


def slot_of(record: Record) -> tuple[Any, ...] | None:
    return None if record.get("state") == "closed" else (record.get("slot"),)


def seeded_store(limit: int | None, path: Path | None = None) -> Store:
    store = Store(path, "f", limit)
    for rid, record in SEEDED.items():
        store.put(KEY, rid, dict(record), {"parents": {}})
    store.seal_seed()  # from here on new records get a sequence number
    return store


class BoundedStore(RuleBasedStateMachine):
    """The store against a model: the seeded records, and the created ones in a dict whose
    insertion order is their age (a plain dict: updates keep a record's place)."""

    def __init__(self) -> None:
        super().__init__()
        self.limit = 1
        self.store = Store()
        self.created: dict[str, Record] = {}
        self.seeded: dict[str, Record] = {}
        self.evicted: list[str] = []
        self.made = 0

    @initialize(limit=st.integers(min_value=1, max_value=4))
    def start(self, limit: int) -> None:
        self.limit = limit
        self.store = seeded_store(limit)
        self.store.evicted.append(lambda key, rid, record: self.evicted.append(rid))
        self.seeded = {rid: dict(r) for rid, r in SEEDED.items()}
        self.store.index(KEY, "slot", slot_of)  # built before the writes, kept up to date
        self.store.ordered(KEY)

    @rule(slot=SLOTS, state=STATES)
    def create(self, slot: str, state: str) -> None:
        self.made += 1
        rid = f"t{self.made}"
        self.evicted.clear()
        self.store.put(KEY, rid, {"slot": slot, "state": state}, {"parents": {}})
        self.created[rid] = {"slot": slot, "state": state}
        gone = []
        while len(self.created) > self.limit:
            oldest = next(iter(self.created))
            del self.created[oldest]
            gone.append(oldest)
        assert self.evicted == gone
        for rid in gone:
            assert self.store.get(KEY, rid) is None and self.store.meta_of(KEY, rid) == {}

    @precondition(lambda self: bool(self.created or self.seeded))
    @rule(data=st.data(), slot=SLOTS, state=STATES)
    def update(self, data: st.DataObject, slot: str, state: str) -> None:
        rid = data.draw(st.sampled_from(sorted([*self.created, *self.seeded])))
        meta = dict(self.store.meta_of(KEY, rid))
        self.store.put(KEY, rid, {"slot": slot, "state": state}, meta)
        (self.created if rid in self.created else self.seeded)[rid] = {"slot": slot, "state": state}

    @precondition(lambda self: bool(self.created or self.seeded))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted([*self.created, *self.seeded])))
        self.store.remove(KEY, rid)
        self.created.pop(rid, None)
        self.seeded.pop(rid, None)

    @rule()
    def reload(self) -> None:
        self.store.load(self.store.dump())

    @rule()
    def reset(self) -> None:
        self.store.reset()
        self.created, self.seeded = {}, {rid: dict(r) for rid, r in SEEDED.items()}

    @invariant()
    def matches_the_model(self) -> None:
        store = self.store
        assert store.records.get(KEY, {}) == {**self.seeded, **self.created}
        assert set(store.meta.get(KEY, {})) == {*self.seeded, *self.created}
        assert store.created(KEY) == list(self.created)
        assert len(store.created(KEY)) <= self.limit
        newest_first = [*reversed(self.created.values()), *self.seeded.values()]
        assert store.ordered(KEY) == newest_first
        index = store.index(KEY, "slot", slot_of)
        everyone = {**self.seeded, **self.created}
        for slot in ("a", "b", "c"):
            want = {rid for rid, r in everyone.items() if slot_of(r) == (slot,)}
            assert set(index.holders((slot,))) == want
        assert set(index.keys) == {rid for rid, r in everyone.items() if slot_of(r) is not None}


TestBoundedStore = BoundedStore.TestCase
TestBoundedStore.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


def test_a_file_written_under_a_larger_limit_loads_trimmed_to_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    wide = seeded_store(None, path)
    for n in range(6):
        wide.put(KEY, f"t{n}", {"slot": "a", "state": "open"}, {"parents": {}})
    wide.save_now()
    narrow = seeded_store(2, path)
    assert narrow.restore_file()
    assert narrow.created(KEY) == ["t4", "t5"]
    assert set(narrow.records[KEY]) == {"s1", "s2", "t4", "t5"}
    narrow.save_now()  # and what it writes back holds the limit
    again = seeded_store(None, path)
    assert again.restore_file() and set(again.records[KEY]) == {"s1", "s2", "t4", "t5"}


def test_no_limit_keeps_every_created_record() -> None:
    store = seeded_store(None)
    for n in range(50):
        store.put(KEY, f"t{n}", {"slot": "a", "state": "open"}, {"parents": {}})
    assert len(store.created(KEY)) == 50 and len(store.records[KEY]) == 52


PETSTORE = str(FIXTURES / "petstore31" / "openapi.yaml")
PET = {"name": "Whiskers", "status": "available", "species": {"kind": "cat", "indoor": True}}


@pytest.mark.anyio
async def test_an_evicted_pet_answers_404_as_a_deleted_one_and_leaves_the_list(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    app = build(AppConfig("mock", spec=PETSTORE, options={"max_records": 2, "state": str(state)}))
    async with client(app.app) as c:
        before = (await c.get("/v1/pets", params={"limit": 100})).json()["meta"]["total_count"]
        ids = [(await c.post("/v1/pets", json=PET)).json()["id"] for _ in range(3)]
        gone = await c.get(f"/v1/pets/{ids[0]}")
        assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
        assert (await c.get(f"/v1/pets/{ids[2]}")).status_code == 200
        listed = (await c.get("/v1/pets", params={"limit": 100})).json()
        assert listed["meta"]["total_count"] == before + 2
        assert [p["id"] for p in listed["data"][:2]] == [ids[2], ids[1]]
        assert (await c.delete(f"/v1/pets/{ids[0]}")).status_code == 404
    again = build(AppConfig("mock", spec=PETSTORE, options={"max_records": 2, "state": str(state)}))
    async with client(again.app) as c:
        assert (await c.get(f"/v1/pets/{ids[0]}")).status_code == 404
        assert (await c.get(f"/v1/pets/{ids[1]}")).status_code == 200
