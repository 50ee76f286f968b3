"""Fake data from schemas: always valid, deterministic, realistic, honouring every constraint."""

from __future__ import annotations

import copy
import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mocks import FakeData, GenerationError, UnknownExample
from tests.mocks import all_component_schemas, bundled_schemas, load_spec, to_2020_12

SCHEMAS = all_component_schemas()
SCHEMA_IDS = [f"{spec}:{name}" for spec, name, _ in SCHEMAS]
SEEDS = st.integers(min_value=-(2**63), max_value=2**63)
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_SCHEMA = settings(SLOW, max_examples=30)  # x 31 schemas x 3 properties
FAKE = FakeData(seed=0)


def assert_valid(schema: Any, value: Any) -> None:
    """Valid for jsonschema-rs (with formats) and for Python's jsonschema alike."""
    errors = [
        e.message
        for e in jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(value)
    ]
    assert errors == [], (errors, value)
    jsonschema.Draft202012Validator(schema).validate(value)


@functools.cache
def direction_validators(spec: str, name: str, flag: str) -> tuple[Any, Any]:
    schema = without_required(bundled_schemas(spec)[name], flag)
    fast = jsonschema_rs.validator_for(schema, validate_formats=True)
    return fast, jsonschema.Draft202012Validator(schema)


def assert_valid_as(spec: str, name: str, flag: str, value: Any) -> None:
    fast, slow = direction_validators(spec, name, flag)
    assert [e.message for e in fast.iter_errors(value)] == [], value
    slow.validate(value)


def without_required(node: Any, flag: str) -> Any:
    """The schema as a request (flag=readOnly) or response (writeOnly) sees it."""
    if isinstance(node, list):
        return [without_required(item, flag) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: without_required(value, flag) for key, value in node.items()}
    properties = out.get("properties", {})
    if "required" in out:
        out["required"] = [n for n in out["required"] if not properties.get(n, {}).get(flag)]
    return out


def flagged_present(root: dict[str, Any], value: Any, flag: str) -> list[str]:
    """Locations in `value` of properties that the schema marks `flag` (readOnly/writeOnly)."""
    defs = root["$defs"]
    found: list[str] = []

    def resolve(schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**defs[schema["$ref"].rsplit("/", 1)[1]], **rest}
        return schema

    def parts(schema: dict[str, Any], node: Any) -> list[Any]:
        """allOf members and the oneOf/anyOf branches that `node` matches."""
        branches = [*schema.get("oneOf", []), *schema.get("anyOf", [])]
        matching = [
            b for b in branches if jsonschema_rs.validator_for({**b, "$defs": defs}).is_valid(node)
        ]
        return [*schema.get("allOf", []), *matching]

    def walk(schema: Any, node: Any, where: str) -> None:
        schema = resolve(schema)
        if not isinstance(schema, dict):
            return
        for part in parts(schema, node):
            walk(part, node, where)
        if isinstance(node, dict):
            for name, sub in schema.get("properties", {}).items():
                if name in node:
                    found.extend([f"{where}/{name}"] if resolve(sub).get(flag) else [])
                    walk(sub, node[name], f"{where}/{name}")
        if isinstance(node, list) and isinstance(schema.get("items"), dict):
            for index, item in enumerate(node):
                walk(schema["items"], item, f"{where}/{index}")

    walk(root, value, "")
    return found


# ---- every schema of both fixture specs ---------------------------------------------------


@pytest.mark.parametrize(("spec", "name", "root"), SCHEMAS, ids=SCHEMA_IDS)
@PER_SCHEMA
@given(seed=SEEDS)
def test_every_fixture_schema_yields_valid_responses_for_any_seed(
    spec: str, name: str, root: dict[str, Any], seed: int
) -> None:
    value = FakeData(seed).instance(root, key=f"{spec}.{name}")
    assert_valid_as(spec, name, "writeOnly", value)
    assert flagged_present(root, value, "writeOnly") == []


@pytest.mark.parametrize(("spec", "name", "root"), SCHEMAS, ids=SCHEMA_IDS)
@PER_SCHEMA
@given(seed=SEEDS)
def test_every_fixture_schema_yields_valid_requests_without_read_only_properties(
    spec: str, name: str, root: dict[str, Any], seed: int
) -> None:
    value = FakeData(seed).instance(root, key=f"{spec}.{name}", for_request=True)
    assert_valid_as(spec, name, "readOnly", value)
    assert flagged_present(root, value, "readOnly") == []


@pytest.mark.parametrize(("spec", "name", "root"), SCHEMAS, ids=SCHEMA_IDS)
@PER_SCHEMA
@given(seed=SEEDS)
def test_the_same_seed_and_key_give_byte_identical_values(
    spec: str, name: str, root: dict[str, Any], seed: int
) -> None:
    first = FakeData(seed).instance(root, key="k", size=4)
    again = FakeData(seed).instance(copy.deepcopy(root), key="k", size=4)  # no shared plan
    assert orjson.dumps(first) == orjson.dumps(again)


FREE_TEXT = ["Pet", "Owner", "Address", "Visit", "Book", "Member", "Loan", "Problem"]


@pytest.mark.parametrize("name", FREE_TEXT)
@SLOW
@given(seed=SEEDS, other=SEEDS)
def test_different_seeds_give_different_values(name: str, seed: int, other: int) -> None:
    assume(seed != other)
    spec = "petstore31" if name in bundled_schemas("petstore31") else "library30"
    root = bundled_schemas(spec)[name]
    first = FakeData(seed).instance(root, key="k")
    second = FakeData(other).instance(root, key="k")
    assert orjson.dumps(first) != orjson.dumps(second)


def test_values_are_identical_across_processes_with_different_hash_seeds() -> None:
    code = (
        "import orjson; from mocks import FakeData; from tests.mocks import bundled_schemas;"
        "print(orjson.dumps(FakeData(42).instance(bundled_schemas('petstore31')['PetPage'],"
        " key='listPets', size=5)).decode())"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2", "random")
    }
    assert len(outputs) == 1
    here = FakeData(42).instance(bundled_schemas("petstore31")["PetPage"], key="listPets", size=5)
    assert outputs == {orjson.dumps(here).decode() + "\n"}


def test_read_only_properties_appear_in_responses_and_write_only_ones_in_requests() -> None:
    root = bundled_schemas("petstore31")["Owner"]
    responses = [FakeData(seed).instance(root, key="k") for seed in range(20)]
    requests = [FakeData(seed).instance(root, key="k", for_request=True) for seed in range(20)]
    assert all("id" in owner and "password" not in owner for owner in responses)
    assert all("id" not in owner for owner in requests)
    assert any("password" in owner for owner in requests)


def test_different_keys_give_different_values() -> None:
    root = bundled_schemas("petstore31")["Pet"]
    assert FAKE.instance(root, key="a") != FAKE.instance(root, key="b")


# ---- examples -----------------------------------------------------------------------------


def create_pet_media() -> dict[str, Any]:
    operation = load_spec("petstore31")["paths"]["/pets"]["post"]
    media: dict[str, Any] = operation["requestBody"]["content"]["application/json"]
    return media


def test_named_example_is_chosen_by_name() -> None:
    media = create_pet_media()
    value = FAKE.example_or_instance(media, {}, key="k", example="rex")
    assert value == media["examples"]["rex"]["value"]


def test_first_named_example_is_the_default() -> None:
    media = create_pet_media()
    assert FAKE.example_or_instance(media, {}, key="k")["name"] == "Whiskers"


def test_unknown_example_names_what_exists() -> None:
    with pytest.raises(UnknownExample) as caught:
        FAKE.example_or_instance(create_pet_media(), {}, key="k", example="garfield")
    assert caught.value.name == "garfield"
    assert caught.value.available == ["whiskers", "rex"]
    assert "whiskers, rex" in str(caught.value)


def test_a_single_example_is_used_when_there_are_no_named_ones() -> None:
    media = {"example": {"a": 1}, "schema": {"type": "object"}}
    assert FAKE.example_or_instance(media, media["schema"], key="k") == {"a": 1}


def test_an_example_is_a_copy_the_caller_may_change() -> None:
    media = create_pet_media()
    FAKE.example_or_instance(media, {}, key="k")["name"] = "changed"
    assert media["examples"]["whiskers"]["value"]["name"] == "Whiskers"


def test_without_examples_a_value_is_generated_from_the_schema() -> None:
    schema = bundled_schemas("library30")["Loan"]
    value = FAKE.example_or_instance({"schema": schema}, schema, key="k")
    assert value == FAKE.instance(schema, key="k")


def test_schema_examples_are_used_only_when_valid() -> None:
    schema = {"type": "integer", "minimum": 10, "examples": [3, 12]}
    assert {FakeData(seed).instance(schema, key="k") for seed in range(20)} == {12}


def test_schema_default_is_used_when_valid() -> None:
    assert FAKE.instance({"type": "integer", "default": 7}, key="k") == 7
    assert FAKE.instance({"type": "integer", "default": "x"}, key="k") != "x"


# ---- sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "expected"), [(20, 20), (0, 0), (500, 100), (1, 1)])
def test_size_sets_the_length_of_the_list_clamped_to_its_bounds(size: int, expected: int) -> None:
    page = FAKE.instance(bundled_schemas("petstore31")["PetPage"], key="k", size=size)
    assert len(page["data"]) == expected


def test_size_is_raised_to_min_items() -> None:
    document = FAKE.instance(bundled_schemas("petstore31")["ErrorDocument"], key="k", size=0)
    assert len(document["errors"]) == 1


def test_size_applies_to_the_outermost_arrays_only() -> None:
    schema = {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}
    value = FAKE.instance(schema, key="k", size=7)
    assert len(value) == 7
    assert all(1 <= len(inner) <= 3 for inner in value)


@given(seed=SEEDS)
def test_lists_are_short_by_default_never_max_items(seed: int) -> None:
    schema = {"type": "array", "items": {"type": "integer"}, "maxItems": 50}
    assert 1 <= len(FakeData(seed).instance(schema, key="k")) <= 3


def test_recursion_stops_at_a_shallow_depth() -> None:
    def depth(node: dict[str, Any]) -> int:
        return 1 + max((depth(child) for child in node.get("children", [])), default=0)

    root = bundled_schemas("petstore31")["Category"]
    assert max(depth(FakeData(seed).instance(root, key="k")) for seed in range(20)) <= 4


# ---- constraints --------------------------------------------------------------------------


UNSATISFIABLE = [
    {"type": "integer", "minimum": 5, "maximum": 4},
    {"type": "integer", "minimum": 1, "maximum": 6, "multipleOf": 7},
    {"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 1},
    {"type": "string", "minLength": 5, "maxLength": 2},
    {"type": "string", "enum": [1, 2]},
    {"allOf": [{"type": "string"}, {"type": "integer"}]},
    {"allOf": [{"const": 1}, {"const": 2}]},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 3, "uniqueItems": True},
    {"type": "object", "required": ["a"], "properties": {"a": False}},
    {"not": {}},
    {"oneOf": [{"type": "string"}, {"type": "string", "minLength": 0}]},
    {"type": "string", "pattern": "^[a-z]{4}$", "maxLength": 3},
    {
        "$defs": {
            "Node": {
                "type": "object",
                "required": ["next"],
                "properties": {"next": {"$ref": "#/$defs/Node"}},
            }
        },
        "$ref": "#/$defs/Node",
    },
]


@pytest.mark.parametrize(
    "schema", UNSATISFIABLE, ids=[orjson.dumps(s).decode()[:60] for s in UNSATISFIABLE]
)
def test_unsatisfiable_schemas_raise_a_generation_error_naming_the_part(
    schema: dict[str, Any],
) -> None:
    with pytest.raises(GenerationError) as caught:
        FAKE.instance(schema, key="k")
    assert caught.value.pointer.startswith("#")
    assert caught.value.reason


@given(seed=SEEDS)
def test_one_of_values_match_exactly_one_branch(seed: int) -> None:
    schema = {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}
    assert_valid(schema, FakeData(seed).instance(schema, key="k"))


@given(seed=SEEDS)
def test_multiple_of_with_decimals_is_honoured_exactly(seed: int) -> None:
    schema = {"type": "number", "minimum": 0, "maximum": 500, "multipleOf": 0.01}
    assert_valid(schema, FakeData(seed).instance(schema, key="k"))


@given(seed=SEEDS)
def test_exclusive_bounds_are_never_reached(seed: int) -> None:
    schema = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001}
    value = FakeData(seed).instance(schema, key="k")
    assert 0 < value < 0.001


def test_openapi_30_nullable_is_tolerated() -> None:
    schema = {"type": "string", "nullable": True, "maxLength": 10}
    values = [FakeData(seed).instance(schema, key="k") for seed in range(60)]
    assert None in values
    assert all(v is None or (isinstance(v, str) and len(v) <= 10) for v in values)


def test_openapi_30_boolean_exclusive_minimum_is_tolerated() -> None:
    schema = {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}
    assert {FakeData(seed).instance(schema, key="k") for seed in range(10)} == {1}


def test_dependent_required_brings_in_the_companion() -> None:
    schema = bundled_schemas("petstore31")["Visit"]
    visits = [FakeData(seed).instance(schema, key="k") for seed in range(30)]
    assert any("cost" in visit for visit in visits)
    assert all("currency" in visit for visit in visits if "cost" in visit)


def test_if_then_else_is_honoured() -> None:
    owners = [
        FakeData(seed).instance(bundled_schemas("petstore31")["Owner"], key="k")
        for seed in range(30)
    ]
    assert {owner["contact_method"] for owner in owners} == {"email", "phone"}
    assert all("phone" in o for o in owners if o["contact_method"] == "phone")
    assert all("email" in o for o in owners if o["contact_method"] == "email")


def test_additional_properties_false_in_all_of_keeps_only_the_closed_members_names() -> None:
    schema = {
        "allOf": [
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "additionalProperties": False,
            },
            {"properties": {"b": {"type": "integer"}}},
        ]
    }
    for seed in range(10):
        assert set(FakeData(seed).instance(schema, key="k")) <= {"a"}


def test_pattern_properties_and_property_names_shape_the_keys() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x-[a-z]+$": {"type": "integer"}},
        "propertyNames": {"maxLength": 12},
        "additionalProperties": False,
        "minProperties": 1,
    }
    for seed in range(20):
        value = FakeData(seed).instance(schema, key="k")
        assert value and all(re.fullmatch(r"x-[a-z]+", key) for key in value)


def test_maps_get_a_few_entries() -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    sizes = {len(FakeData(seed).instance(schema, key="k")) for seed in range(30)}
    assert sizes <= {1, 2} and sizes


def test_prefix_items_and_contains_are_honoured() -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"const": "head"}],
        "items": {"type": "integer", "minimum": 0, "maximum": 9},
        "contains": {"const": 7},
        "minContains": 2,
    }
    for seed in range(20):
        value = FakeData(seed).instance(schema, key="k")
        assert value[0] == "head" and value.count(7) >= 2


# ---- realism ------------------------------------------------------------------------------

PRACTITIONER = {
    "type": "object",
    "required": ["id", "first_name", "last_name", "email", "rating", "hourly_rate", "created_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^prac_[a-zA-Z0-9]{8,}$"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "phone_number": {"type": "string"},
        "bio": {"type": "string", "maxLength": 1000},
        "city": {"type": "string"},
        "timezone": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "rating": {"type": "number", "minimum": 0, "maximum": 5},
        "hourly_rate": {"type": "number", "minimum": 0},
        "avatar_url": {"type": "string", "format": "uri"},
        "booking_id": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


@given(seed=SEEDS)
def test_property_names_give_realistic_values(seed: int) -> None:
    value = FakeData(seed).instance(PRACTITIONER, key="practitioner")
    assert_valid(PRACTITIONER, value)
    assert re.fullmatch(r"prac_[a-z0-9]{8,}", value["id"])
    assert re.fullmatch(r"[a-z]+\.[a-z]+@example\.(com|org|net)", value["email"])
    assert 1.0 <= value["rating"] <= 5.0 and round(value["rating"], 1) == value["rating"]
    assert 15 <= value["hourly_rate"] <= 250
    assert value["created_at"].startswith("2024-")
    assert value.get("updated_at", "9") >= value["created_at"]
    assert re.fullmatch(r"[A-Z][a-z]+/[A-Za-z_/-]+|UTC", value.get("timezone", "UTC"))
    assert re.fullmatch(r"[a-z]{2}", value.get("languages", ["en"])[0])
    assert re.fullmatch(r"booking_[a-z0-9]{6}", value.get("booking_id", "booking_abcdef"))
    assert re.fullmatch(
        r"https://images\.example\.(com|org|net)/[a-z0-9]{10}\.jpg",
        value.get("avatar_url", "https://images.example.com/abcdefghij.jpg"),
    )


def test_x_faker_hint_picks_the_provider() -> None:
    schema = {"type": "number", "minimum": 1, "maximum": 5, "x-faker": "rating"}
    for seed in range(20):
        value = FakeData(seed).instance(schema, key="k")
        assert 1 <= value <= 5 and round(value, 1) == value


def test_x_faker_hint_may_name_a_faker_method_with_arguments() -> None:
    assert (
        FAKE.instance(
            {"type": "integer", "x-faker": {"pyint": {"min_value": 3, "max_value": 3}}}, key="k"
        )
        == 3
    )
    assert FAKE.instance({"type": "string", "x-faker": "company.catchPhrase"}, key="k")


def test_unknown_x_faker_hint_falls_back_to_the_schema_and_is_reported() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "x-faker": "no_such"}}}
    assert isinstance(FakeData(1).instance(schema, key="k", size=1).get("a", ""), str)
    assert FAKE.unknown_hints(schema) == [
        (
            "#/properties/a/x-faker",
            "unknown x-faker provider 'no_such': register one with mocks.hint('no_such')",
        )
    ]
    assert FAKE.unknown_hints(bundled_schemas("petstore31")["Pet"]) == []


def test_unknown_x_faker_hint_is_an_error_naming_it_when_strict() -> None:
    strict = FakeData(1, strict_hints=True)
    with pytest.raises(GenerationError, match="no_such_provider") as caught:
        strict.instance({"type": "string", "x-faker": "no_such_provider"}, key="k")
    assert caught.value.pointer == "#/x-faker"


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
