"""Fake data from schemas: always valid, deterministic, from the named examples, sized as asked."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import assume, given

from mocks import FakeData, UnknownExample
from tests.mocks import bundled_schemas, load_spec
from tests.mocks.fake_checks import (
    FAKE,
    PER_SCHEMA,
    SCHEMA_IDS,
    SCHEMAS,
    SEEDS,
    SLOW,
    assert_valid_as,
    flagged_present,
)

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
