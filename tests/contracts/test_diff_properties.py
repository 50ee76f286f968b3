"""Properties of the schema comparison, on schemas hypothesis makes up.

- a schema compared with itself has no findings;
- a pure widening breaks nothing in a request and breaks a response, and swapped (a pure
  narrowing) breaks the request and nothing in the response;
- no document, however malformed, makes the comparison raise anything but DiffError.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.diff import DiffError, Finding, Level, openapi
from tests.contracts.diff_cases.docs import answer, body

TODAY = date(2026, 6, 1)
NAMES = st.sampled_from(["a", "b", "c", "d", "e"])


def _string() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from(["string", ["string", "null"]])},
        optional={
            "minLength": st.integers(1, 4),
            "maxLength": st.integers(5, 50),
            "pattern": st.sampled_from(["^a", "^[a-z]+$"]),
            "format": st.sampled_from(["email", "uuid", "date"]),
            "enum": st.lists(
                st.text("xyz", min_size=1, max_size=3), min_size=1, max_size=4, unique=True
            ),
        },
    )


@st.composite
def _number(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    low = draw(st.sampled_from([None, "minimum", "exclusiveMinimum"]))  # one lower bound at most
    high = draw(st.sampled_from([None, "maximum", "exclusiveMaximum"]))
    if low:
        schema[low] = draw(st.integers(-10, 0))
    if high:
        schema[high] = draw(st.integers(1, 100))
    if draw(st.booleans()):
        schema["multipleOf"] = draw(st.sampled_from([2, 3, 5]))
    return schema


@st.composite
def _object(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    props = draw(st.dictionaries(NAMES, children, min_size=1, max_size=4))
    schema: dict[str, Any] = {"type": "object", "properties": props}
    required = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
    if required:
        schema["required"] = required
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema


@st.composite
def _array(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": draw(children)}
    for word, values in (
        ("minItems", st.integers(1, 3)),
        ("maxItems", st.integers(4, 9)),
        ("uniqueItems", st.just(True)),
    ):
        if draw(st.booleans()):
            schema[word] = draw(values)
    return schema


SCHEMAS = st.recursive(
    st.one_of(_string(), _number(), st.just({"type": "boolean"})),
    lambda children: st.one_of(
        _object(children),
        _array(children),
        st.builds(lambda vs: {"oneOf": vs}, st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)


def nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema]
    for child in (schema.get("properties") or {}).values():
        found += nodes(child)
    if isinstance(schema.get("items"), dict):
        found += nodes(schema["items"])
    for variant in schema.get("oneOf") or []:
        found += nodes(variant)
    return found


def widenings(node: dict[str, Any]) -> list[str]:
    """The strict widenings that apply to one node."""
    found = [
        f"drop {w}"
        for w in (
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "enum",
            "minimum",
            "exclusiveMinimum",
            "maximum",
            "exclusiveMaximum",
            "multipleOf",
            "minItems",
            "maxItems",
            "uniqueItems",
            "additionalProperties",
        )
        if w in node
    ]
    found += [
        f"{how} {w}" for w in ("minimum", "exclusiveMinimum") if w in node for how in ["lower"]
    ]
    found += [
        f"{how} {w}" for w in ("maximum", "exclusiveMaximum") if w in node for how in ["raise"]
    ]
    if "enum" in node:
        found.append("grow enum")
    if node.get("required"):
        found.append("unrequire")
    if isinstance(node.get("type"), str):
        found += ["nullable", "untype"]
    if "oneOf" in node:
        found.append("add variant")
    return found


def widen(node: dict[str, Any], how: str) -> None:
    verb, _, word = how.partition(" ")
    if verb == "drop":
        del node[word]
    elif verb == "lower":
        node[word] -= 1
    elif verb == "raise":
        node[word] += 1
    elif how == "grow enum":
        node["enum"] = [*node["enum"], "new value"]
    elif how == "unrequire":
        node["required"] = node["required"][1:]
    elif how == "nullable":
        node["type"] = [node["type"], "null"]
    elif how == "untype":
        del node["type"]
    else:
        node["oneOf"] = [*node["oneOf"], {"title": "added", "type": "boolean"}]


@st.composite
def widened(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    old = draw(SCHEMAS)
    new = copy.deepcopy(old)
    candidates = [(i, how) for i, node in enumerate(nodes(new)) for how in widenings(node)]
    if not candidates:
        new = {"type": "object", "properties": {"x": new}, "required": ["x"]}
        old = copy.deepcopy(new)
        candidates = [(0, "unrequire")]
    index, how = draw(st.sampled_from(candidates))
    widen(nodes(new)[index], how)
    return old, new, how


def breaking(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.level is Level.BREAKING]


@settings(max_examples=50, deadline=None)
@given(SCHEMAS)
def test_a_schema_compared_with_itself_has_no_findings(schema: dict[str, Any]) -> None:
    assert openapi.compare(body(schema), body(copy.deepcopy(schema)), TODAY) == []
    assert openapi.compare(answer(schema), answer(copy.deepcopy(schema)), TODAY) == []


@settings(max_examples=80, deadline=None)
@given(widened())
def test_a_widening_is_safe_in_requests_and_swapped_it_breaks_them(
    case: tuple[dict[str, Any], dict[str, Any], str],
) -> None:
    old, new, how = case
    assert breaking(openapi.compare(body(old), body(new), TODAY)) == [], how
    assert breaking(openapi.compare(body(new), body(old), TODAY)), how


@settings(max_examples=80, deadline=None)
@given(widened())
def test_a_widening_breaks_responses_and_swapped_it_is_safe(
    case: tuple[dict[str, Any], dict[str, Any], str],
) -> None:
    old, new, how = case
    found = openapi.compare(answer(old), answer(new), TODAY)
    assert [f for f in found if f.level is not Level.INFO], how  # breaking, or dangerous for enums
    assert breaking(openapi.compare(answer(new), answer(old), TODAY)) == [], how


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "$ref",
                    "type",
                    "properties",
                    "items",
                    "required",
                    "oneOf",
                    "allOf",
                    "enum",
                    "minimum",
                    "paths",
                    "/x",
                    "get",
                    "parameters",
                    "requestBody",
                    "responses",
                    "content",
                    "schema",
                    "security",
                    "components",
                    "schemas",
                    "200",
                    "application/json",
                    "in",
                    "name",
                ]
            )
            | st.text(max_size=3),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(JSON, JSON)
def test_no_malformed_document_makes_the_comparison_raise(old: Any, new: Any) -> None:
    docs = [
        {"openapi": "3.1.0", "paths": {"/x": {"get": v}}} | (v if isinstance(v, dict) else {})
        for v in (old, new)
    ]
    try:
        openapi.compare(docs[0], docs[1], TODAY)
        openapi.compare(
            body(old if isinstance(old, dict) else {}),
            body(new if isinstance(new, dict) else {}),
            TODAY,
        )
    except DiffError:
        pass
