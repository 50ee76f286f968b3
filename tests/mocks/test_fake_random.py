"""Fake data from random schemas: valid and reproducible whatever the schema."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocks import FakeData, UnknownExample
from tests.mocks import to_2020_12
from tests.mocks.fake_checks import FAKE, SEEDS, assert_valid

# ---- random schemas -----------------------------------------------------------------------

PATTERNS = [
    r"^[a-z]{3,8}$",
    r"^usr_[a-zA-Z0-9]{8,}$",
    r"^\+[1-9][0-9]{7,14}$",
    r"^[A-Z]{2}-\d{4}$",
    r"^\d{5}(-\d{4})?$",
    r"^(red|green|blue)$",
    r"^#[0-9a-fA-F]{6}$",
    r"^[\w.-]+@example\.com$",
    r"^v\d+\.\d+\.\d+$",
    r"^[A-Z][a-z]+( [A-Z][a-z]+)*$",
]
FORMATS = ["date-time", "date", "time", "email", "uri", "uuid", "hostname", "ipv4", "ipv6", "byte"]
NAMES = ["id", "name", "email", "price", "rating", "created_at", "city", "notes", "count", "x_y"]


def strings() -> st.SearchStrategy[dict[str, Any]]:
    lengths = st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={"minLength": st.integers(0, 10), "maxLength": st.integers(10, 40)},
    )
    return st.one_of(
        lengths,
        st.builds(lambda p: {"type": "string", "pattern": p}, st.sampled_from(PATTERNS)),
        st.builds(lambda f: {"type": "string", "format": f}, st.sampled_from(FORMATS)),
    )


@st.composite
def integers(draw: st.DrawFn) -> dict[str, Any]:
    low, width = draw(st.integers(-1000, 1000)), draw(st.integers(0, 500))
    step = draw(st.sampled_from([None, 1, 2, 3, 5, 10]))
    schema: dict[str, Any] = {"type": "integer"}
    if draw(st.booleans()):
        schema["minimum" if draw(st.booleans()) else "exclusiveMinimum"] = low
        schema["maximum"] = low + width + (step or 0) + 1
    if step:
        schema["multipleOf"] = step
    return schema


@st.composite
def numbers(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.floats(-1000, 1000, allow_nan=False).map(lambda x: round(x, 2)))
    step = draw(st.sampled_from([None, 0.01, 0.05, 0.1, 0.25, 0.5]))
    schema: dict[str, Any] = {"type": "number"}
    schema["minimum" if draw(st.booleans()) else "exclusiveMinimum"] = low
    schema["maximum" if draw(st.booleans()) else "exclusiveMaximum"] = low + draw(
        st.floats(0.6, 100)
    )
    if step:
        schema["multipleOf"] = step
    return schema


JSON_INTS = st.integers(-(2**53), 2**53)  # what every JSON parser reads exactly
SCALARS = st.one_of(
    strings(),
    integers(),
    numbers(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(
        st.one_of(JSON_INTS, st.text(max_size=5), st.none()),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(lambda values: {"enum": values}),
    st.one_of(JSON_INTS, st.text(max_size=5)).map(lambda value: {"const": value}),
)


def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from(NAMES)
    objects = st.builds(
        lambda props, required, closed: {
            "type": "object",
            "properties": props,
            "required": [n for n in props if n in required],
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(names, children, max_size=5),
        st.sets(names),
        st.booleans(),
    )
    arrays = st.builds(
        lambda items, low, extra: {
            "type": "array",
            "items": items,
            "minItems": low,
            "maxItems": low + extra,
        },
        children,
        st.integers(0, 3),
        st.integers(0, 4),
    )
    tagged = st.lists(children, min_size=1, max_size=3).map(
        lambda branches: {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["kind", "value"],
                    "properties": {"kind": {"const": f"k{i}"}, "value": b},
                }
                for i, b in enumerate(branches)
            ]
        }
    )
    merged = st.tuples(children, children).map(
        lambda pair: {
            "allOf": [
                {"type": "object", "required": ["left"], "properties": {"left": pair[0]}},
                {"type": "object", "required": ["right"], "properties": {"right": pair[1]}},
            ]
        }
    )
    nullable = children.filter(
        lambda s: isinstance(s.get("type"), str) and s["type"] != "null"
    ).map(lambda s: {**s, "type": [s["type"], "null"]})
    maps = children.map(lambda s: {"type": "object", "additionalProperties": s, "maxProperties": 3})
    unique = st.integers(0, 5).map(
        lambda low: {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 1000},
            "uniqueItems": True,
            "minItems": low,
        }
    )
    return st.one_of(
        objects,
        arrays,
        tagged,
        merged,
        nullable,
        maps,
        unique,
        children.map(lambda s: {"anyOf": [s, {"type": "null"}]}),
    )


RANDOM_SCHEMAS = st.recursive(SCALARS, extend, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=RANDOM_SCHEMAS, seed=SEEDS, for_request=st.booleans())
def test_random_schemas_always_yield_valid_values(
    schema: dict[str, Any], seed: int, for_request: bool
) -> None:
    value = FakeData(seed).instance(schema, key="random", for_request=for_request)
    assert_valid(schema, value)


@settings(max_examples=50, deadline=None)
@given(schema=RANDOM_SCHEMAS.map(to_2020_12), seed=SEEDS)
def test_random_schemas_give_the_same_bytes_for_the_same_seed(
    schema: dict[str, Any], seed: int
) -> None:
    first = FakeData(seed).instance(schema, key="random")
    assert orjson.dumps(first) == orjson.dumps(FakeData(seed).instance(dict(schema), key="random"))


def test_an_example_name_without_named_examples_is_unknown() -> None:
    with pytest.raises(UnknownExample) as caught:
        FAKE.example_or_instance({"example": 1}, {"type": "integer"}, key="k", example="one")
    assert caught.value.available == []


def test_an_equal_schema_built_afresh_reuses_its_plan() -> None:
    from mocks.fake import data as fake

    def schema() -> dict[str, Any]:
        return {"type": "object", "properties": {"n": {"type": "integer", "minimum": 123456}}}

    FAKE.instance(schema(), key="k")
    plans = len(fake._by_content)
    values = {orjson.dumps(FAKE.instance(schema(), key="k")) for _ in range(5)}
    assert len(fake._by_content) == plans and len(values) == 1


def test_deep_but_not_recursive_schemas_keep_their_lists() -> None:
    tags = {"type": "array", "minItems": 0, "items": {"type": "string"}}
    schema: dict[str, Any] = {"type": "object", "required": ["tags"], "properties": {"tags": tags}}
    for _ in range(5):  # document -> data -> resource -> attributes -> ... -> tags
        schema = {"type": "object", "required": ["inner"], "properties": {"inner": schema}}
    value = FAKE.instance(schema, key="k")
    for _ in range(5):
        value = value["inner"]
    assert value["tags"]


def test_ids_are_generated_even_where_the_schema_lists_examples() -> None:
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"$ref": "#/$defs/PetId"}},
        },
        "$defs": {
            "PetId": {"type": "string", "pattern": "^pet_[a-z0-9]{6}$", "examples": ["pet_123abc"]}
        },
    }
    ids = [pet["id"] for pet in FAKE.instance(schema, key="k", size=20)]
    assert len(set(ids)) == 20 and all(re.fullmatch(r"pet_[a-z0-9]{6}", i) for i in ids)
