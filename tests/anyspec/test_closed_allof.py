"""An `allOf` whose members close themselves against each other's properties (ShipEngine's
list body + error body) admits no value; kkcore/repair.py reads it as one object closed over
every member's properties, with a warning, so the mock answers it instead of a 500."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkcore.loader import load_document
from kkcore.repair import repair
from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio

CLOSED = "additionalProperties"
LIST = {
    "type": "object",
    CLOSED: False,
    "required": ["carriers"],
    "properties": {"carriers": {"type": "array", "items": {"type": "string"}}},
}
ERROR = {
    "type": "object",
    CLOSED: False,
    "required": ["request_id"],
    "properties": {"request_id": {"type": "string"}},
}
BOTH = {"allOf": [{"$ref": "#/components/schemas/List"}, ERROR]}


def document() -> dict[str, Any]:
    answer = {"description": "ok", "content": {"application/json": {"schema": BOTH}}}
    list_alone = {"$ref": "#/components/schemas/List"}
    alone = {"description": "ok", "content": {"application/json": {"schema": list_alone}}}
    return copy.deepcopy(
        {
            "openapi": "3.0.3",
            "info": {"title": "carriers", "version": "1"},
            "paths": {
                "/carriers": {"get": {"operationId": "list", "responses": {"200": answer}}},
                "/plain": {"get": {"operationId": "plain", "responses": {"200": alone}}},
            },
            "components": {"schemas": {"List": LIST}},
        }
    )


def answer_schema(doc: dict[str, Any], path: str) -> Any:
    return doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def validator(doc: dict[str, Any], schema: Any) -> Any:
    text = orjson.dumps(schema).replace(b"#/components/schemas/", b"#/$defs/")
    defs = orjson.loads(orjson.dumps(doc["components"]["schemas"]))
    return jsonschema_rs.validator_for({**orjson.loads(text), "$defs": defs})


def test_the_members_are_read_as_one_closed_object_and_the_component_stays_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_bytes(orjson.dumps(document()))
    with caplog.at_level(logging.WARNING, "kk.spec"):
        doc = load_document(spec)
    assert sum("refuse each other's properties" in r.message for r in caplog.records) == 1
    both = validator(doc, answer_schema(doc, "/carriers"))
    assert both.is_valid({"carriers": ["ups"], "request_id": "r1"})
    assert not both.is_valid({"carriers": ["ups"], "request_id": "r1", "other": 1})
    assert not both.is_valid({"carriers": ["ups"]})  # every member's `required` still holds
    assert not both.is_valid({"carriers": [1], "request_id": "r1"})  # and its property schemas
    alone = validator(doc, answer_schema(doc, "/plain"))
    assert not alone.is_valid({"carriers": [], "request_id": "r1"})  # List used alone: closed


async def test_the_mock_answers_the_mended_schema_instead_of_a_500(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_bytes(orjson.dumps(document()))
    async with mock_client(spec, tmp_path, auth=False) as c:
        answer = await c.get("/carriers")
    assert answer.status_code == 200, answer.text
    assert {"carriers", "request_id"} <= set(answer.json())


NAMES = st.sets(st.sampled_from("abcd"), max_size=4)


@st.composite
def members(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for names in draw(st.lists(NAMES, min_size=1, max_size=3)):
        member: dict[str, Any] = {"type": "object", "properties": {n: {} for n in sorted(names)}}
        member["required"] = sorted(draw(st.sets(st.sampled_from(sorted(names) or ["a"]))) & names)
        if draw(st.booleans()):
            member[CLOSED] = False
        found.append(member)
    return found


@given(members(), st.booleans())
def test_an_allof_is_mended_exactly_when_a_closed_member_refuses_another_members_property(
    parts: list[dict[str, Any]], node_closed: bool
) -> None:
    node: dict[str, Any] = {"allOf": parts, **({CLOSED: False} if node_closed else {})}
    doc: dict[str, Any] = {"openapi": "3.0.3", "components": {"schemas": {"S": node}}}
    before = copy.deepcopy(doc)
    every = set().union(*(p["properties"] for p in parts))
    conflict = any(
        s.get(CLOSED) is False and not every <= set(s.get("properties", ())) for s in [node, *parts]
    )
    mended = repair(doc, "x")["components"]["schemas"]["S"]
    if not conflict:
        assert doc == before
        return
    check = validator(doc, mended)
    whole = {name: 0 for name in every}
    assert check.is_valid(whole)  # the object of every member's properties now fits
    assert not check.is_valid({**whole, "z": 0})  # and the mended object is closed
    assert not validator(before, before["components"]["schemas"]["S"]).is_valid(whole)
