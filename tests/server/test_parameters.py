"""Parameter parsing and coercion per style, through the whole pipeline."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkcore.errors import BadRequest
from kkcore.types import ParameterSpec
from server.binding import OperationGroup
from server.parameters import ParameterParser
from server.ports import OperationRequest
from server.responses import Reply
from tests.engine import client, engine_app

pytestmark = pytest.mark.anyio
seen: list[dict[str, Any]] = []
items = OperationGroup("items")


@items.operation("listItems")
async def list_items(request: OperationRequest[Any, Any]) -> Reply:
    seen.append(request.params)
    return Reply(200, {"data": []})


@items.operation("getItem")
async def get_item(request: OperationRequest[Any, Any]) -> Reply:
    seen.append(request.params)
    return Reply(200, {"id": request.params["item_id"], "name": "x", "kind": "toy"})


APP, _ = engine_app("minimal31", mode="sandbox", groups=[items])


async def params_of(url: str, **kw: Any) -> dict[str, Any]:
    seen.clear()
    async with client(APP) as c:
        r = await c.get(url, **kw)
    assert r.status_code == 200, r.text
    return seen[-1]


async def errors_of(url: str, **kw: Any) -> list[dict[str, Any]]:
    async with client(APP) as c:
        r = await c.get(url, **kw)
    assert r.status_code == 400, r.text
    body = r.json()
    assert all(e["code"] == "VALIDATION_ERROR" and e["status"] == "400" for e in body["errors"])
    return list(body["errors"])


async def test_defaults_fill_missing_optional_parameters() -> None:
    assert await params_of("/api/items") == {"limit": 20}


async def test_form_exploded_arrays_collect_repeated_keys() -> None:
    assert (await params_of("/api/items?tags=a&tags=b"))["tags"] == ["a", "b"]


async def test_form_unexploded_arrays_split_on_commas_and_coerce_items() -> None:
    assert (await params_of("/api/items?ids=1,2,30"))["ids"] == [1, 2, 30]


async def test_booleans_date_times_and_enum_refs_are_coerced() -> None:
    params = await params_of("/api/items?active=false&since=2024-01-01T09:00:00Z&kind=toy")
    assert params["active"] is False
    assert params["since"] == "2024-01-01T09:00:00Z"
    assert params["kind"] == "toy"


async def test_deep_object_parameters_become_objects() -> None:
    assert (await params_of("/api/items?filter[color]=red"))["filter"] == {"color": "red"}


async def test_header_parameters_are_read_case_insensitively() -> None:
    params = await params_of("/api/items", headers={"x-trace": "t-42"})
    assert params["X-Trace"] == "t-42"


async def test_path_parameters_are_coerced_by_schema() -> None:
    assert (await params_of("/api/items/17"))["item_id"] == 17


async def test_a_mistyped_path_parameter_is_400_not_404() -> None:
    errors = await errors_of("/api/items/abc")
    assert errors[0]["source"] == {"parameter": "item_id"}


async def test_every_parameter_problem_is_reported_at_once() -> None:
    errors = await errors_of(
        "/api/items?limit=abc&ids=1,x&active=yes&since=soon&kind=car&filter[size]=2&bogus=1",
        headers={"X-Trace": "nope"},
    )
    assert sorted(e["source"]["parameter"] for e in errors) == sorted(
        ["limit", "ids", "active", "since", "kind", "filter", "bogus", "X-Trace"]
    )


async def test_unknown_query_parameters_are_rejected_by_name() -> None:
    errors = await errors_of("/api/items?colour=red")
    assert errors == [
        {
            **errors[0],
            "detail": "Unknown query parameter 'colour'",
            "source": {"parameter": "colour"},
        }
    ]


async def test_invalid_utf8_in_the_query_string_is_400() -> None:
    errors = await errors_of("/api/items?tags=%ff%fe")
    assert errors[0]["detail"] == "The query string is not valid UTF-8"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=-(10**6), max_value=10**6))
async def test_limit_is_accepted_exactly_within_its_bounds(limit: int) -> None:
    async with client(APP) as c:
        r = await c.get("/api/items", params={"limit": str(limit)})
    if 1 <= limit <= 100:
        assert r.status_code == 200
        assert seen[-1]["limit"] == limit
    else:
        assert r.status_code == 400
        assert r.json()["errors"][0]["source"] == {"parameter": "limit"}


@settings(max_examples=60)
@given(st.text(min_size=1).filter(lambda s: not s.strip().lstrip("+-").isdigit()))
async def test_any_non_integer_limit_is_a_400_naming_the_parameter(raw: str) -> None:
    async with client(APP) as c:
        r = await c.get("/api/items", params={"limit": raw})
    assert r.status_code == 400
    assert {e["source"]["parameter"] for e in r.json()["errors"]} == {"limit"}


@settings(max_examples=40)
@given(st.lists(st.integers(min_value=-999, max_value=999), min_size=1, max_size=6))
async def test_unexploded_integer_arrays_round_trip(values: list[int]) -> None:
    async with client(APP) as c:
        r = await c.get("/api/items", params={"ids": ",".join(map(str, values))})
    assert r.status_code == 200
    assert seen[-1]["ids"] == values


async def test_a_handler_changing_its_params_does_not_change_the_next_identical_request() -> None:
    first = await params_of("/api/items?tags=a&tags=b")
    first["tags"].append("mutated")
    first["limit"] = 99
    assert await params_of("/api/items?tags=a&tags=b") == {"limit": 20, "tags": ["a", "b"]}


async def test_an_integer_beyond_64_bits_is_a_400_not_a_crash() -> None:
    errors = await errors_of("/api/items?ids=13046955390195863090156650212641210368")
    assert errors[0]["source"] == {"parameter": "ids"}
    assert "64-bit" in errors[0]["detail"]


def _exploded_object(required: bool = False) -> ParameterParser:
    spec: ParameterSpec = {
        "name": "filter",
        "location": "query",
        "required": required,
        "style": "form",
        "explode": True,
        "schema": {
            "type": "object",
            "properties": {"size": {"type": "integer"}, "color": {"type": "string"}},
            "additionalProperties": False,
        },
    }
    return ParameterParser([spec], {})


def test_an_exploded_form_object_takes_the_querys_other_names_as_its_properties() -> None:
    parsed = _exploded_object().parse({}, b"size=3&color=red", [])
    assert parsed == {"filter": {"size": 3, "color": "red"}}


def test_an_exploded_form_object_still_refuses_what_its_schema_does() -> None:
    with pytest.raises(BadRequest):
        _exploded_object().parse({}, b"size=big&shape=round", [])
    with pytest.raises(BadRequest):
        _exploded_object(required=True).parse({}, b"", [])


def test_an_operation_without_one_still_refuses_unknown_query_names() -> None:
    with pytest.raises(BadRequest):
        ParameterParser([], {}).parse({}, b"size=3", [])


def test_an_exploded_simple_object_in_the_path_is_its_key_value_pairs() -> None:
    spec: ParameterSpec = {
        "name": "color",
        "location": "path",
        "required": True,
        "style": "simple",
        "explode": True,
        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    parser = ParameterParser([spec], {})
    assert parser.parse({"color": "R=100,G=200"}, b"", []) == {"color": {"R": "100", "G": "200"}}
    with pytest.raises(BadRequest):
        parser.parse({"color": "R=100,G"}, b"", [])
