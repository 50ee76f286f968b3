"""Schemathesis hooks of `kk contract` (loaded through SCHEMATHESIS_HOOKS=contracts.hooks).

Random ids that match `^booking_[A-Za-z0-9]+$` almost never name a stored record, so a
fuzzer alone mostly meets 404s. The spec's own `examples` are the records the sandbox is seeded
with (booking_123, pi_123, test_user_123, the success test card...). Wherever a generated value
is valid for its schema, these hooks let hypothesis draw one of the schema's examples instead,
so cases reach the code behind the lookup. A value that is invalid on purpose (a negative case)
is never touched, and examples replace only valid values, so a case keeps its polarity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import strategies as st

# id(schema) -> (schema, validator or None); the entry keeps the schema alive, so its id is not
# reused while cached.
_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    """Follow schemathesis' bundled `#/x-bundled/...` references (and local ones) in `root`."""
    seen = 0
    while isinstance(schema, Mapping) and "$ref" in schema and seen < 32:
        node: Any = root
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        schema, seen = node, seen + 1
    return schema


def _valid(value: Any, schema: Mapping[str, Any]) -> bool:
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        plain = {k: v for k, v in schema.items() if k not in ("examples", "description")}
        try:
            # formats checked as the server checks them: a value that breaks its `format` on
            # purpose (a negative case) must stay invalid, never be swapped for an example
            validator = jsonschema_rs.validator_for(plain, validate_formats=True)
        except (ValueError, jsonschema_rs.ValidationError):  # references we cannot follow here
            validator = None
        entry = _VALIDATORS[id(schema)] = (schema, validator)
    return entry[1] is not None and bool(entry[1].is_valid(value))


def seeded(value: Any, schema: Any, root: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """`value`, or where it is valid for `schema`, sometimes one of the schema's examples."""
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping):
        return st.just(value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        parts = {
            k: seeded(v, props[k], root) if k in props else st.just(v) for k, v in value.items()
        }
        return st.fixed_dictionaries(parts)
    examples = [e for e in schema.get("examples") or [] if isinstance(e, str | int)]
    if examples and isinstance(value, str | int) and _valid(value, schema):
        usable = [e for e in examples if _valid(e, schema)]
        return st.sampled_from([value, *usable])
    return st.just(value)


def _parameters(ctx: Any, values: Any, location: str) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict) or ctx.operation is None:
        return st.just(values)
    schemas = {
        p.name: p.definition.get("schema", {})
        for p in ctx.operation.iter_parameters()
        if getattr(p.location, "value", p.location) == location
    }
    return st.fixed_dictionaries(
        {
            k: seeded(v, schemas[k], schemas[k]) if k in schemas else st.just(v)
            for k, v in values.items()
        }
    )


@schemathesis.hook
def flatmap_path_parameters(ctx: Any, values: Any) -> st.SearchStrategy[Any]:
    return _parameters(ctx, values, "path")


@schemathesis.hook
def flatmap_query(ctx: Any, values: Any) -> st.SearchStrategy[Any]:
    return _parameters(ctx, values, "query")


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
    if ctx.operation is None or not isinstance(body, dict):
        return st.just(body)
    for media in ctx.operation.body:
        schema = media.definition.get("schema")
        if media.media_type == "application/json" and isinstance(schema, Mapping):
            return seeded(body, schema, schema)
    return st.just(body)
