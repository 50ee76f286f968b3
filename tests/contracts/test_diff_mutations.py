"""The gate on spec pairs it has never seen: real documents (tests/fixtures/petstore31,
library30, spec/asyncapi.yaml) with a breaking mutation hypothesis picks, anywhere.

The mutations are written from what clients observe, not from the rule table: a request
schema made stricter, a response schema made looser or a property dropped, an operation or
status removed, a parameter required, a scope demanded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.diff import Level, asyncapi, openapi
from contracts.diff.sources import LOADER
from tests.engine import FIXTURES, ROOT

TODAY = date(2026, 6, 1)
SPECS = {
    name: yaml.load((FIXTURES / name / "openapi.yaml").read_text(), Loader=yaml.CSafeLoader)
    for name in ("petstore31", "library30")
}
ASYNC = yaml.load((ROOT / "spec" / "asyncapi.yaml").read_text(), Loader=yaml.CSafeLoader)
METHODS = ("get", "put", "post", "delete", "patch")


def follow(doc: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/")]
        node, seen = target, seen + 1
    return node


def schema_nodes(doc: dict[str, Any], root: Any) -> Iterator[dict[str, Any]]:
    """Every schema under root, through $refs, each once."""
    stack, seen = [root], set()
    while stack:
        node = follow(doc, stack.pop())
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack += list((node.get("properties") or {}).values())
        stack += [
            node[k] for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)
        ]
        for word in ("allOf", "oneOf", "anyOf"):
            stack += node.get(word) or []


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [item[m] for item in doc["paths"].values() for m in METHODS if m in item]


def request_roots(doc: dict[str, Any]) -> Iterator[Any]:
    for op in operations(doc):
        for p in op.get("parameters") or []:
            yield follow(doc, p).get("schema")
        body = follow(doc, op.get("requestBody")) or {}
        for media in (body.get("content") or {}).values():
            yield media.get("schema")


def response_roots(doc: dict[str, Any]) -> Iterator[Any]:
    for op in operations(doc):
        for response in (op.get("responses") or {}).values():
            for media in (follow(doc, response).get("content") or {}).values():
                yield media.get("schema")


def _is(node: dict[str, Any], kind: str) -> bool:
    t = node.get("type")
    return t == kind or (isinstance(t, list) and kind in t)


def narrowings(node: dict[str, Any]) -> list[Callable[[], None]]:
    """Ways to make a request schema refuse something it accepted."""
    found: list[Callable[[], None]] = []
    if _is(node, "string") and "enum" not in node:
        longest = node.get("maxLength", 10_000)
        if longest > node.get("minLength", 0):
            found.append(lambda: node.update(maxLength=longest - 1))
        found.append(lambda: node.update(pattern="^never$"))
    if _is(node, "integer") or _is(node, "number"):
        top = min(
            v
            for v in (node.get("maximum", 10**9), node.get("exclusiveMaximum", 10**9))
            if not isinstance(v, bool)
        )
        found.append(lambda: node.update(maximum=top - 1))
    if len(node.get("enum") or []) >= 2:
        found.append(lambda: node.update(enum=node["enum"][:-1]))
    optional = [
        k
        for k, v in (node.get("properties") or {}).items()
        if k not in (node.get("required") or []) and not v.get("readOnly")
    ]
    if optional:
        found.append(lambda: node.update(required=[*(node.get("required") or []), optional[0]]))
    return found


def loosenings(node: dict[str, Any]) -> list[Callable[[], None]]:
    """Ways to make a response schema return what old clients cannot read."""
    found: list[Callable[[], None]] = []
    props = [k for k, v in (node.get("properties") or {}).items() if not v.get("writeOnly")]
    if props:
        found.append(lambda: node["properties"].pop(props[-1]))
    if node.get("required"):
        found.append(lambda: node.update(required=node["required"][1:]))
    if "maxLength" in node:
        found.append(lambda: node.update(maxLength=node["maxLength"] + 1))
    if isinstance(node.get("type"), str) and node["type"] != "object":
        found.append(lambda: node.update(type="object" if node["type"] != "object" else "string"))
    return found


def operation_mutations(doc: dict[str, Any]) -> list[Callable[[], None]]:
    found: list[Callable[[], None]] = []
    for item in doc["paths"].values():
        for method in (m for m in METHODS if m in item):
            op = item[method]
            found.append(lambda item=item, method=method: item.pop(method))
            for status in op.get("responses") or {}:
                found.append(lambda op=op, status=status: op["responses"].pop(status))
            found.append(
                lambda op=op: op.setdefault("parameters", []).append(
                    {"name": "zz", "in": "query", "required": True, "schema": {"type": "string"}}
                )
            )
            for p in op.get("parameters") or []:
                p = follow(doc, p)
                if not p.get("required"):
                    found.append(lambda p=p: p.update(required=True))
            for req in op.get("security") or doc.get("security") or []:
                for scheme in req:
                    found.append(
                        lambda op=op, scheme=scheme: op.update(security=[{scheme: ["zz:admin"]}])
                    )
    return found


def sites(doc: dict[str, Any]) -> list[Callable[[], None]]:
    found = operation_mutations(doc)
    for root in request_roots(doc):
        for node in schema_nodes(doc, root):
            found += narrowings(node)
    for root in response_roots(doc):
        for node in schema_nodes(doc, root):
            found += loosenings(node)
    return found


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_real_spec_has_many_mutation_sites(name: str) -> None:
    assert len(sites(copy.deepcopy(SPECS[name]))) > 40


@pytest.mark.parametrize("name", sorted(SPECS))
@settings(max_examples=60, deadline=None)
@given(choice=st.data())
def test_any_breaking_mutation_of_a_real_spec_is_caught(name: str, choice: st.DataObject) -> None:
    new = copy.deepcopy(SPECS[name])
    mutations = sites(new)
    choice.draw(st.sampled_from(mutations), label="mutation")()
    found = openapi.compare(SPECS[name], new, TODAY)
    assert [f for f in found if f.level is Level.BREAKING], found
    assert openapi.compare(SPECS[name], copy.deepcopy(SPECS[name]), TODAY) == []


def async_sites(doc: dict[str, Any]) -> list[Callable[[], None]]:
    found: list[Callable[[], None]] = []
    for op in doc["operations"].values():
        received = op["action"] == "receive"
        if received and len(op["messages"]) > 1:
            found.append(lambda op=op: op["messages"].pop())
        for ref in op["messages"]:
            payload = follow(doc, follow(doc, ref).get("payload"))
            for node in schema_nodes(doc, payload):
                found += narrowings(node) if received else loosenings(node)
        found.append(
            lambda op=op: op.update(action="send" if op["action"] == "receive" else "receive")
        )
    return found


@settings(max_examples=60, deadline=None)
@given(choice=st.data())
def test_any_breaking_mutation_of_the_asyncapi_document_is_caught(choice: st.DataObject) -> None:
    new = copy.deepcopy(ASYNC)
    choice.draw(st.sampled_from(async_sites(new)), label="mutation")()
    found = asyncapi.compare(ASYNC, new)
    assert [f for f in found if f.level is Level.BREAKING], found


def test_the_spec_compared_with_itself_has_no_findings() -> None:
    doc = yaml.load(Path(ROOT / "spec" / "openapi.yaml").read_text(), Loader=LOADER)
    assert openapi.compare(doc, copy.deepcopy(doc), TODAY) == []
    assert asyncapi.compare(ASYNC, copy.deepcopy(ASYNC)) == []
