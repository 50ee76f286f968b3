"""The store's incremental ordering and key indexes agree with recomputing them from the
records, whatever sequence of writes, removals, resets and state loads came before."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mocks.indexes import KeyIndex
from mocks.store import Record, Store

KEY = "things"
SLOTS = st.sampled_from(["a", "b", "c"])
STATES = st.sampled_from(["open", "closed"])
IDS = st.sampled_from([f"t{i}" for i in range(6)])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), IDS, SLOTS, STATES),
        st.tuples(st.just("update"), IDS, SLOTS, STATES),
        st.tuples(st.just("remove"), IDS),
        st.tuples(st.just("reset")),
        st.tuples(st.just("reload")),
        st.tuples(st.just("read")),
    ),
    max_size=40,
)


def slot_of(record: Record) -> tuple[Any, ...] | None:
    return None if record.get("state") == "closed" else (record.get("slot"),)


def expected_order(store: Store) -> list[Record]:
    """The definition: created records newest first (by seq), then seeded ones in order."""
    records, meta = store.records.get(KEY, {}), store.meta.get(KEY, {})
    created = [(meta.get(i, {}).get("seq", 0), r) for i, r in records.items()]
    fresh = sorted((p for p in created if p[0] > 0), key=lambda p: -p[0])
    return [r for _, r in fresh] + [r for s, r in created if s <= 0]


def expected_holders(store: Store, slot: str) -> set[str]:
    records = store.records.get(KEY, {})
    return {rid for rid, r in records.items() if slot_of(r) == (slot,)}


def seeded_store() -> Store:
    store = Store()
    store.put(KEY, "s1", {"slot": "a", "state": "open"}, {"parents": {}})
    store.put(KEY, "s2", {"slot": "b", "state": "closed"}, {"parents": {}})
    store.seal_seed()  # from here on new records get a sequence number
    return store


def apply(store: Store, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "create" and store.get(KEY, op[1]) is None:
        store.put(KEY, op[1], {"slot": op[2], "state": op[3]}, {"parents": {}})
    elif kind == "update" and store.get(KEY, op[1]) is not None:
        store.put(KEY, op[1], {"slot": op[2], "state": op[3]}, dict(store.meta_of(KEY, op[1])))
    elif kind == "remove":
        store.remove(KEY, op[1])
    elif kind == "reset":
        store.reset()
    elif kind == "reload":
        store.load(store.dump())
    elif kind == "read":
        store.ordered(KEY)
        store.index(KEY, "slot", slot_of)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_order_and_index_match_a_recomputation_after_any_writes(ops: list[Any]) -> None:
    store = seeded_store()
    store.ordered(KEY)
    store.index(KEY, "slot", slot_of)
    for op in ops:
        apply(store, op)
        assert store.ordered(KEY) == expected_order(store)
        assert [id(r) for r in store.ordered(KEY)] == [id(r) for r in expected_order(store)]
        index = store.index(KEY, "slot", slot_of)
        for slot in ("a", "b", "c"):
            assert set(index.holders((slot,))) == expected_holders(store, slot), (op, slot)


def test_a_record_put_again_in_place_keeps_its_position() -> None:
    store = seeded_store()
    for n in range(3):
        store.put(KEY, f"n{n}", {"slot": "c", "state": "open"}, {"parents": {}})
    assert [r.get("slot") for r in store.ordered(KEY)] == ["c", "c", "c", "a", "b"]
    store.put(KEY, "n1", {"slot": "z", "state": "open"}, dict(store.meta_of(KEY, "n1")))
    assert [r.get("slot") for r in store.ordered(KEY)] == ["c", "z", "c", "a", "b"]


def test_unhashable_keys_are_compared_one_by_one() -> None:
    records = {"x": {"tags": ["a"]}, "y": {"tags": ["b"]}, "z": {"tags": None}}
    index = KeyIndex(lambda r: (r["tags"],), records)
    assert list(index.holders((["a"],))) == ["x"]
    assert list(index.holders((None,))) == ["z"]
    index.discard("x")
    assert list(index.holders((["a"],))) == []
