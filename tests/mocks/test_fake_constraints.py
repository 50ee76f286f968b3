"""Fake data honours every constraint of JSON Schema and OpenAPI, and looks real."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given

from mocks import FakeData, GenerationError
from tests.mocks import bundled_schemas
from tests.mocks.fake_checks import FAKE, SEEDS, assert_valid

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
