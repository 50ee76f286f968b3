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


LANGUAGES = {"type": "object", "additionalProperties": False, "properties": {"lang": {}}}
NULLABLE_OBJECT = {"anyOf": [{"type": "null"}, LANGUAGES]}  # Dialogporten's accept-Language


def _header(schema: dict[str, Any]) -> ParameterParser:
    spec: ParameterSpec = {
        "name": "accept-language",
        "location": "header",
        "required": False,
        "style": "simple",
        "explode": False,
        "schema": schema,
    }
    return ParameterParser([spec], {})


def test_the_text_null_is_null_where_the_schema_takes_null_and_nothing_else_reads_it() -> None:
    parse = _header(NULLABLE_OBJECT).parse
    assert parse({}, b"", [(b"accept-language", b"null")]) == {"accept-language": None}
    assert parse({}, b"", [(b"accept-language", b"lang,nb")]) == {"accept-language": {"lang": "nb"}}
    with pytest.raises(BadRequest):  # without null in the schema, `null` is still refused
        _header(LANGUAGES).parse({}, b"", [(b"accept-language", b"null")])


@given(
    st.sampled_from(
        [{"type": ["string", "null"]}, {"anyOf": [{"type": "string"}, {"type": "null"}]}]
    )
)
def test_a_nullable_string_keeps_the_text_null_as_a_string(schema: dict[str, Any]) -> None:
    parsed = _header(schema).parse({}, b"", [(b"accept-language", b"null")])
    assert parsed == {"accept-language": "null"}


@given(st.sampled_from(["integer", "number", "boolean", "array"]))
def test_the_text_null_is_null_for_any_nullable_type_that_cannot_read_it(kind: str) -> None:
    schema = {"type": [kind, "null"], "items": {"type": "integer"}}
    parsed = _header(schema).parse({}, b"", [(b"accept-language", b"null")])
    assert parsed == {"accept-language": None}
