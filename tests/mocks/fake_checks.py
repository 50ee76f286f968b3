"""What the fake-data tests check values with: the fixture specs' schemas,
seeds, validators."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import jsonschema_rs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mocks import FakeData
from tests.mocks import all_component_schemas, bundled_schemas

SCHEMAS = all_component_schemas()
SCHEMA_IDS = [f"{spec}:{name}" for spec, name, _ in SCHEMAS]
SEEDS = st.integers(min_value=-(2**63), max_value=2**63)
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_SCHEMA = settings(SLOW, max_examples=30)  # x 31 schemas x 3 properties
FAKE = FakeData(seed=0)


def assert_valid(schema: Any, value: Any) -> None:
    """Valid for jsonschema-rs (with formats) and for Python's jsonschema alike."""
    errors = [
        e.message
        for e in jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(value)
    ]
    assert errors == [], (errors, value)
    jsonschema.Draft202012Validator(schema).validate(value)


@functools.cache
def direction_validators(spec: str, name: str, flag: str) -> tuple[Any, Any]:
    schema = without_required(bundled_schemas(spec)[name], flag)
    fast = jsonschema_rs.validator_for(schema, validate_formats=True)
    return fast, jsonschema.Draft202012Validator(schema)


def assert_valid_as(spec: str, name: str, flag: str, value: Any) -> None:
    fast, slow = direction_validators(spec, name, flag)
    assert [e.message for e in fast.iter_errors(value)] == [], value
    slow.validate(value)


def without_required(node: Any, flag: str) -> Any:
    """The schema as a request (flag=readOnly) or response (writeOnly) sees it."""
    if isinstance(node, list):
        return [without_required(item, flag) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: without_required(value, flag) for key, value in node.items()}
    properties = out.get("properties", {})
    if "required" in out:
        out["required"] = [n for n in out["required"] if not properties.get(n, {}).get(flag)]
    return out


def flagged_present(root: dict[str, Any], value: Any, flag: str) -> list[str]:
    """Locations in `value` of properties that the schema marks `flag` (readOnly/writeOnly)."""
    defs = root["$defs"]
    found: list[str] = []

    def resolve(schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**defs[schema["$ref"].rsplit("/", 1)[1]], **rest}
        return schema

    def parts(schema: dict[str, Any], node: Any) -> list[Any]:
        """allOf members and the oneOf/anyOf branches that `node` matches."""
        branches = [*schema.get("oneOf", []), *schema.get("anyOf", [])]
        matching = [
            b for b in branches if jsonschema_rs.validator_for({**b, "$defs": defs}).is_valid(node)
        ]
        return [*schema.get("allOf", []), *matching]

    def walk(schema: Any, node: Any, where: str) -> None:
        schema = resolve(schema)
        if not isinstance(schema, dict):
            return
        for part in parts(schema, node):
            walk(part, node, where)
        if isinstance(node, dict):
            for name, sub in schema.get("properties", {}).items():
                if name in node:
                    found.extend([f"{where}/{name}"] if resolve(sub).get(flag) else [])
                    walk(sub, node[name], f"{where}/{name}")
        if isinstance(node, list) and isinstance(schema.get("items"), dict):
            for index, item in enumerate(node):
                walk(schema["items"], item, f"{where}/{index}")

    walk(root, value, "")
    return found
