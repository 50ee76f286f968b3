"""A parameter whose schema allows several JSON types is read as a type its schema accepts
(server.paramunion), e.g. Directus' `meta`: `oneOf: [string, array of enum]`, form, not
exploded. Before, `meta=` was read as the array `[""]` and refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkcore.errors import BadRequest
from kkcore.types import ParameterSpec
from server.parameters import ParameterParser
from server.validation import CompiledSchema

COUNTS = ["total_count", "filter_count"]


def _parser(schema: dict[str, Any], explode: bool = False) -> ParameterParser:
    spec: ParameterSpec = {
        "name": "meta",
        "location": "query",
        "required": False,
        "style": "form",
        "explode": explode,
        "schema": schema,
    }
    return ParameterParser([spec], {"Counts": {"type": "array", "items": {"enum": COUNTS}}})


META = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"enum": COUNTS}}]}


def test_a_value_the_array_refuses_is_read_as_the_string_the_schema_takes() -> None:
    assert _parser(META).parse({}, b"meta=*", []) == {"meta": "*"}
    assert _parser(META).parse({}, b"meta=total_count,everything", []) == {
        "meta": "total_count,everything"
    }
    assert _parser(META).parse({}, b"meta=", []) == {"meta": []}  # (RFC 6570's empty list)


def test_a_list_of_the_arrays_values_is_read_as_the_array() -> None:
    parsed = _parser(META).parse({}, b"meta=total_count,filter_count", [])
    assert parsed == {"meta": COUNTS}


def test_a_referenced_branch_and_a_type_list_are_unions_too() -> None:
    by_ref = {"anyOf": [{"$ref": "#/$defs/Counts"}, {"type": "integer"}]}
    assert _parser(by_ref).parse({}, b"meta=7", []) == {"meta": 7}
    assert _parser(by_ref).parse({}, b"meta=filter_count", []) == {"meta": ["filter_count"]}
    listed = {"type": ["integer", "boolean"]}
    assert _parser(listed).parse({}, b"meta=true", []) == {"meta": True}
    assert _parser(listed).parse({}, b"meta=3", []) == {"meta": 3}


def test_a_value_no_branch_takes_is_refused_naming_the_parameter() -> None:
    strict = {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"enum": COUNTS}}]}
    with pytest.raises(BadRequest) as refused:
        _parser(strict).parse({}, b"meta=lots", [])
    assert [p.parameter for p in refused.value.problems] == ["meta"]


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))
def test_any_text_but_nul_is_taken_when_the_schema_allows_any_string(value: str) -> None:
    meta = _parser(META).parse({}, b"meta=" + quote(value, safe="").encode(), [])["meta"]
    assert CompiledSchema(META).is_valid(meta), meta
    assert meta == value if isinstance(meta, str) else ",".join(meta) == value


@given(st.lists(st.sampled_from(COUNTS), min_size=1, max_size=4))
def test_exploded_repeats_of_the_arrays_values_are_read_as_the_array(values: list[str]) -> None:
    query = "&".join(f"meta={v}" for v in values).encode()
    assert _parser(META, explode=True).parse({}, query, []) == {"meta": values}
