"""Hypothesis strategies for the JSON Schema subset message payloads use.

(hypothesis-jsonschema no longer works with current Hypothesis releases.) Supported: const, enum,
type (string with pattern/format/lengths, integer/number with bounds, boolean, null, array,
object with properties/required/additionalProperties), anyOf/oneOf, local `$ref`s. Every value
drawn is checked against the schema, so an unsupported keyword narrows nothing silently.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from server.validation import CompiledSchema

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "pattern" in schema:
        base: st.SearchStrategy[str] = st.from_regex(schema["pattern"], fullmatch=False)
    elif schema.get("format") == "date-time":
        base = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
    else:
        base = st.text(
            min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40)
        )
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    return base.filter(lambda s: len(s) >= low and (high is None or len(s) <= high))


def strategy(schema: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    if schema is True or schema == {}:
        return JSON_SCALARS
    if not isinstance(schema, dict) or depth > 8:
        return st.nothing()
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix("#/$defs/")
        return strategy(root.get("$defs", {}).get(name, {}), root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([strategy(s, root, depth + 1) for s in schema[key]])
    kind = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(kind, list):
        return st.one_of([strategy({**schema, "type": k}, root, depth + 1) for k in kind])
    return _typed(kind, schema, root, depth)


def _typed(
    kind: Any, schema: dict[str, Any], root: dict[str, Any], depth: int
) -> st.SearchStrategy[Any]:
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = strategy(schema.get("items", {}), root, depth + 1)
        return st.lists(
            items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3)
        )
    if kind == "object":
        return _object(schema, root, depth)
    return JSON_SCALARS


def _object(schema: dict[str, Any], root: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fixed = {k: strategy(v, root, depth + 1) for k, v in props.items() if k in required}
    optional = {k: strategy(v, root, depth + 1) for k, v in props.items() if k not in required}
    base = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties", True)
    if extra is False or not isinstance(extra, (dict, bool)):
        return base
    values = JSON_SCALARS if extra is True else strategy(extra, root, depth + 1)
    more = st.dictionaries(
        st.text("xyz_", min_size=3, max_size=8).filter(lambda k: k not in props), values, max_size=2
    )
    return st.tuples(base, more).map(lambda pair: {**pair[1], **pair[0]})


def valid_values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against `schema` (a self-contained schema with its `$defs`)."""
    check = CompiledSchema(schema)
    return strategy(schema, schema).filter(check.is_valid)
