"""Turn OpenAPI Schema Objects (3.0 or 3.1) into JSON Schema 2020-12 with `#/$defs/` refs."""

from __future__ import annotations

import copy
import re
from typing import Any

from kkcore.errors import SpecError

COMPONENT_PREFIX = "#/components/schemas/"
LITERALS = frozenset({"const", "enum", "examples", "default"})


def to_json_schema(node: Any, *, openapi30: bool) -> Any:
    """A deep copy of `node` as JSON Schema 2020-12; component refs point into `$defs`."""
    if isinstance(node, list):
        return [to_json_schema(n, openapi30=openapi30) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            if not isinstance(value, str) or not value.startswith(COMPONENT_PREFIX):
                raise SpecError(f"schema $ref must point to {COMPONENT_PREFIX}..., got {value!r}")
            out["$ref"] = "#/$defs/" + value[len(COMPONENT_PREFIX) :]
        elif key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            out[key] = {k: to_json_schema(v, openapi30=openapi30) for k, v in value.items()}
        elif key in ("example", "discriminator", "xml", "externalDocs", "$id"):
            # `$id` would make the `#/$defs/` refs under it relative to another resource: the
            # table is one resource (dynamic references are resolved in kkcore.dynamic).
            continue
        elif key in LITERALS:  # values, not schemas: a `$ref` key in an example is data
            out[key] = copy.deepcopy(value)
        else:
            out[key] = to_json_schema(value, openapi30=openapi30)
    if "example" in node and "examples" not in out:
        out["examples"] = [node["example"]]
    if "discriminator" in node and "oneOf" in out:
        _discriminated(out)
    if openapi30:
        _upgrade_30(out)
    elif "nullable" in out:  # a 3.0 habit kept in 3.1 documents: their clients send null
        _nullable(out)
    return out


def upgrade_dialects(node: Any, *, bounds: bool = True) -> Any:
    """A copy of `node` in 2020-12 terms: boolean `exclusiveMinimum`/`exclusiveMaximum` (draft-04,
    the dialect of OpenAPI 3.0 and of 3.1 schemas declaring it with `$schema` or
    `jsonSchemaDialect`) become numeric bounds, and per-schema `$schema` goes: everything is
    compiled as 2020-12. `bounds=False` (OpenAPI 3.0, whose validator wants draft-04) keeps the
    bounds and only escapes literal braces in patterns."""
    if isinstance(node, list):
        return [upgrade_dialects(n, bounds=bounds) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: upgrade_dialects(v, bounds=bounds)
        for k, v in node.items()
        if not bounds or k not in ("$schema", "jsonSchemaDialect")
    }
    if isinstance(out.get("pattern"), str):
        out["pattern"] = literal_braces(out["pattern"])
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if not bounds:
            break
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            del out[exclusive]
    return out


_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")


def literal_braces(pattern: str) -> str:
    """`pattern` with braces that are not quantifiers escaped: ECMA-262 without the unicode
    flag (what OpenAPI 3.0 documents are written for) reads `{abc}` as text; Rust's and
    Python's engines want `\\{abc\\}`."""
    if "{" not in pattern and "}" not in pattern:
        return pattern
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == "{" and not in_class:
            m = _QUANTIFIER.match(pattern, i)
            if m is not None and i > 0:
                out.append(m.group())
                i = m.end()
                continue
            c = "\\{"
        elif c == "}" and not in_class:
            c = "\\}"
        out.append(c)
        i += 1
    return "".join(out)


def _discriminated(schema: dict[str, Any]) -> None:
    """A `oneOf` with a `discriminator` is the one alternative its discriminator value names
    (OpenAPI), so a value that also fits another alternative is still valid: it validates as
    an `anyOf` (a value that fits none is still refused)."""
    branches = schema.pop("oneOf")
    if "anyOf" in schema:
        schema.setdefault("allOf", []).append({"anyOf": branches})
    else:
        schema["anyOf"] = branches


_COMPOSED = ("$ref", "oneOf", "anyOf", "allOf", "not")


def _nullable(schema: dict[str, Any]) -> None:
    if schema.pop("nullable", False) is True:
        t = schema.get("type")
        if isinstance(t, str):
            schema["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            schema["type"] = [*t, "null"]
        elif t is None and "enum" not in schema and any(k in schema for k in _COMPOSED):
            # `nullable` beside a `$ref`/`oneOf` and no `type` (Directus' `parent: {nullable,
            # oneOf: [string, Folders]}`): null is one more alternative, as clients send it.
            rest = {k: schema.pop(k) for k in _COMPOSED if k in schema}
            schema["anyOf"] = [{"type": "null"}, rest]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]


def _upgrade_30(schema: dict[str, Any]) -> None:
    _nullable(schema)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(exclusive) is True and bound in schema:
            schema[exclusive] = schema.pop(bound)
        elif schema.get(exclusive) is False:
            del schema[exclusive]
