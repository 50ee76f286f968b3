"""JSON Schema 2020-12 generics (`$dynamicRef`), as Scalar's Galaxy writes `PaginatedResource<T>`:
the table's static schemas accept exactly what a reference implementation of the dynamic scope
(the `jsonschema` package, resources linked by absolute URIs) accepts, and the mock generates
pages of the bound item type."""

from __future__ import annotations

from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from referencing import Registry, Resource

from kkcore.errors import SpecError
from kkcore.table import build_table
from mocks.fake import FakeData
from server.schemas import directional

PET = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
TAG = {"type": "string", "maxLength": 3}


def generic(anchor_default: dict[str, Any], ref: str) -> dict[str, Any]:
    """`Page<T>`: `data` holds T, `$ref` to the meta schema (under an `$id`)."""
    return {
        "$id": "https://example.test/Page",
        "$defs": {"item": {"$dynamicAnchor": "item", **anchor_default}},
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "items": {"$dynamicRef": "#item"}},
            "meta": {"$ref": ref},
        },
    }


def bound(item_ref: str, page_ref: str, name: str) -> dict[str, Any]:
    return {
        "$id": f"https://example.test/{name}",
        "$defs": {"item": {"$dynamicAnchor": "item", "$ref": item_ref}},
        "$ref": page_ref,
    }


def get_answering(schema: dict[str, Any]) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    return {"get": {"responses": {"200": {"description": "a page", "content": content}}}}


def document() -> dict[str, Any]:
    c = "#/components/schemas/"
    paths = {
        "/pets": get_answering(bound(c + "Pet", c + "Page", "pets")),
        "/tags": get_answering(bound(c + "Tag", c + "Page", "tags")),
        "/plain": get_answering({"$ref": c + "Page"}),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "generics", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {
                "Pet": PET,
                "Tag": TAG,
                "Meta": {"type": "object", "properties": {"total": {"type": "integer"}}},
                "Page": generic({"not": {}}, c + "Meta"),
            }
        },
    }


def reference_validator(path: str) -> Any:
    """The same schemas as one registry of resources with absolute refs: jsonschema evaluates
    `$dynamicRef` in its dynamic scope."""
    base = "https://example.test/"
    resources = {
        base + "Pet": PET,
        base + "Tag": TAG,
        base + "Meta": {"type": "object", "properties": {"total": {"type": "integer"}}},
        base + "Page": generic({"not": {}}, base + "Meta"),
    }
    dialect = jsonschema.Draft202012Validator.META_SCHEMA["$id"]
    registry: Registry[Any] = Registry().with_resources(
        (uri, Resource.from_contents({"$schema": dialect, **schema}))
        for uri, schema in resources.items()
    )
    item = {"pets": "Pet", "tags": "Tag"}.get(path)
    root = bound(base + item, base + "Page", path) if item else {"$ref": base + "Page"}
    return jsonschema.Draft202012Validator(root, registry=registry)


def table_schema(path: str) -> dict[str, Any]:
    table = build_table(document())
    op = next(o for o in table["operations"].values() if o["path"] == f"/{path}")
    raw = op["responses"]["200"]["content"]["application/json"]["schema"]
    return directional(raw, table["defs"], "response")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ITEMS = st.one_of(
    JSON,
    st.fixed_dictionaries({"name": JSON}),
    st.text(max_size=5),
)
PAGES = st.fixed_dictionaries(
    {"data": st.lists(ITEMS, max_size=3)},
    optional={"meta": st.fixed_dictionaries({}, optional={"total": JSON})},
)


@pytest.mark.parametrize("path", ["pets", "tags", "plain"])
@given(page=PAGES | JSON)
def test_the_static_schema_accepts_what_the_dynamic_scope_accepts(path: str, page: Any) -> None:
    ours = jsonschema_rs.validator_for(table_schema(path))
    assert ours.is_valid(page) == reference_validator(path).is_valid(page)


@pytest.mark.parametrize("path", ["pets", "tags"])
def test_the_mock_generates_a_page_of_the_bound_item_type(path: str) -> None:
    page = FakeData(seed=3).instance(table_schema(path), key=path, size=3)
    assert len(page["data"]) == 3
    reference_validator(path).validate(page)


def test_a_dynamic_ref_that_names_no_anchor_is_a_spec_error() -> None:
    doc = document()
    doc["components"]["schemas"]["Page"]["properties"]["data"]["items"] = {"$dynamicRef": "#nope"}
    with pytest.raises(SpecError, match="'#nope' names no \\$dynamicAnchor .*in schema 'Page'"):
        build_table(doc)


def test_a_dynamic_ref_without_anchor_in_an_operation_names_the_operation() -> None:
    doc = document()
    body = {"content": {"application/json": {"schema": {"$dynamicRef": "#nope"}}}}
    doc["paths"]["/pets"]["get"]["requestBody"] = body
    with pytest.raises(SpecError, match="in operation '"):
        build_table(doc)


def test_an_id_in_a_component_keeps_its_component_refs_resolvable() -> None:
    doc = document()
    doc["components"]["schemas"]["Meta"]["$id"] = "https://example.test/Meta"
    doc["components"]["schemas"]["Meta"]["properties"]["pet"] = {"$ref": "#/components/schemas/Pet"}
    table = build_table(doc)
    schema = directional({"$ref": "#/$defs/Meta"}, table["defs"], "response")
    check = jsonschema_rs.validator_for(schema)
    assert check.is_valid({"pet": {"name": "Rex"}})
    assert not check.is_valid({"pet": {}})


def test_a_ref_key_in_an_example_is_data_not_a_reference() -> None:
    doc = document()
    example = {"$ref": "not a reference", "name": "Rex"}
    doc["components"]["schemas"]["Pet"] = {**PET, "examples": [example], "default": example}
    pet = build_table(doc)["defs"]["Pet"]
    assert pet["examples"] == [example]
    assert pet["default"] == example
