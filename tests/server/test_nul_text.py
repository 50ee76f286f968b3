"""Text with U+0000 is a 400 VALIDATION_ERROR naming where it is, in every mode and backend
(PostgreSQL cannot store it: a 500 there, found by `kk contract --mode serve`)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from kkcore.errors import BadRequest
from server.bodies import refuse_nul
from server.graphql_documents import cached_parser
from tests.engine import client, engine_app

APP, _ = engine_app("petstore31")

clean_text = st.text(st.characters(exclude_characters="\x00"), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | clean_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(clean_text, inner, max_size=3),
    max_leaves=12,
)


def _leaves(value: Any, keys: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The key path of every string leaf."""
    if isinstance(value, str):
        return [keys]
    if not isinstance(value, dict | list):
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [found for k, v in items for found in _leaves(v, (*keys, k))]


def _pointer(keys: tuple[Any, ...]) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


@given(json_values)
def test_text_without_nul_passes(value: Any) -> None:
    refuse_nul(value)


@given(json_values, st.data())
def test_a_nul_anywhere_is_refused_with_its_exact_pointer(value: Any, data: st.DataObject) -> None:
    leaves = _leaves(value)
    if not leaves:
        value, leaves = {"note": "x"}, [("note",)]
    keys = data.draw(st.sampled_from(leaves))
    parent = value
    for k in keys[:-1]:
        parent = parent[k]
    text = parent[keys[-1]] if keys else value
    at = data.draw(st.integers(0, len(text)))
    poisoned = text[:at] + "\x00" + text[at:]
    if keys:
        parent[keys[-1]] = poisoned
    else:
        value = poisoned
    pointer = _pointer(keys)
    with pytest.raises(BadRequest) as caught:
        refuse_nul(value)
    assert [p.pointer for p in caught.value.problems] == [pointer]


@pytest.mark.anyio
async def test_a_json_body_with_nul_is_400_with_the_pointer() -> None:
    body = {"name": "Whis\u0000kers", "status": "available", "species": {"kind": "cat"}}
    async with client(APP) as c:
        r = await c.post(
            "/v1/pets", content=orjson.dumps(body), headers={"content-type": "application/json"}
        )
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert (error["code"], error["source"]) == ("VALIDATION_ERROR", {"pointer": "/name"})


@pytest.mark.anyio
async def test_a_query_parameter_with_nul_is_400_naming_it() -> None:
    async with client(APP) as c:
        r = await c.get("/v1/pets", params={"species": "cat\x00"})
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert error["source"] == {"parameter": "species"} and "U+0000" in error["detail"]


@pytest.mark.anyio
async def test_an_escaped_backslash_u0000_is_plain_text_and_accepted() -> None:
    body = {"name": "C:\\u0000", "status": "available", "species": {"kind": "cat"}}
    async with client(APP) as c:
        r = await c.post(
            "/v1/pets", content=orjson.dumps(body), headers={"content-type": "application/json"}
        )
    assert r.status_code != 400, r.text


@given(st.text(max_size=6), st.text(max_size=6))
def test_graphql_refuses_a_nul_in_a_variable_or_a_string_literal(head: str, tail: str) -> None:
    """The same rule for GraphQL, whose bodies the REST parser does not see."""
    text = head + "\x00" + tail
    query = "query($q: String) { search(q: $q) }"
    with pytest.raises(GraphQLError, match="U\\+0000"):
        cached_parser({}, {"query": query, "variables": {"outer": [{"q": text}]}})
    literal = orjson.dumps(text).decode()  # a GraphQL string literal escapes as JSON does
    with pytest.raises(GraphQLError, match="U\\+0000"):
        cached_parser({}, {"query": f"{{ search(q: {literal}) }}"})
    clean = head.replace("\x00", "") + tail.replace("\x00", "")
    cached_parser({}, {"query": query, "variables": {"q": clean}})
    cached_parser({}, {"query": f"{{ search(q: {orjson.dumps(clean).decode()}) }}"})
