"""Schema preparation for generation: keyword sets, OpenAPI 3.0 leftovers normalised,
readOnly/writeOnly applied, $defs pruned, `x-faker` hints found, types inferred."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mocks.fake.registry import Kind, normalize_name

Check = Callable[[Any], bool]
JSON_TYPES = frozenset({str, int, float, bool, type(None), dict, list})
PRIVATE_GROUPS = "x-fake-groups"  # oneOf/anyOf sets left over when allOf members are merged
PRIVATE_CHECKS = "x-fake-checks"  # keywords that could not be merged: validate only
ANNOTATIONS = frozenset(
    {"title", "description", "readOnly", "writeOnly", "deprecated", "$comment", "$id", "$schema"}
    | {"discriminator", "xml", "externalDocs", "example", "$anchor", "contentMediaType"}
    | {"$defs", "definitions"}
)
HINT_ORDER: tuple[Kind, ...] = ("hint", "name", "format")
VALUES = frozenset({"examples", "example", "default", "enum", "const"})  # data, not schemas
FIRST_WINS = frozenset({"examples", "default", "format", "x-faker", "$defs", "definitions"})


_SUB_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUB_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUB_ONE = ("additionalProperties", "items", "contains", "not", "if", "then", "else")
_SUB_ONE_MORE = ("propertyNames", "unevaluatedProperties", "unevaluatedItems")


def refs_hidden_in(root: Mapping[str, Any], hidden: str) -> frozenset[str]:
    defs = root.get("$defs")
    if not isinstance(defs, Mapping):
        return frozenset()
    return frozenset(
        f"#/$defs/{name}"
        for name, sub in defs.items()
        if isinstance(sub, Mapping) and sub.get(hidden)
    )


def is_hidden(sub: Any, hidden: str, hidden_refs: frozenset[str]) -> bool:
    return isinstance(sub, Mapping) and (sub.get(hidden) is True or sub.get("$ref") in hidden_refs)


def normalize(schema: Any, hidden: str, hidden_refs: frozenset[str]) -> Any:  # noqa: C901
    """A copy with `nullable` and boolean exclusive bounds (3.0) turned into 2020-12, and the
    properties hidden in this direction (readOnly in requests) no longer required."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)

    def sub(value: Any) -> Any:
        return normalize(value, hidden, hidden_refs)

    for keyword in _SUB_MAPS:
        if isinstance(out.get(keyword), Mapping):
            out[keyword] = {name: sub(value) for name, value in out[keyword].items()}
    for keyword in _SUB_LISTS:
        if isinstance(out.get(keyword), list):
            out[keyword] = [sub(value) for value in out[keyword]]
    for keyword in _SUB_ONE + _SUB_ONE_MORE:
        if keyword in out:
            value = out[keyword]
            out[keyword] = [sub(v) for v in value] if isinstance(value, list) else sub(value)
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(exclusive) is True and inclusive in out:
            out[exclusive] = out.pop(inclusive)
        elif isinstance(out.get(exclusive), bool):
            del out[exclusive]
    if isinstance(out.get("required"), list) and isinstance(out.get("properties"), Mapping):
        gone = {n for n, p in out["properties"].items() if is_hidden(p, hidden, hidden_refs)}
        out["required"] = [name for name in out["required"] if name not in gone]
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if kind is None:
            return {"anyOf": [out, {"type": "null"}]}
        kinds = [kind] if isinstance(kind, str) else list(kind)
        out["type"] = kinds if "null" in kinds else [*kinds, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def hints(node: Any, where: str) -> list[tuple[str, Any]]:
    """Every `x-faker` in a schema document, with its location."""
    if isinstance(node, list):
        return [h for i, item in enumerate(node) for h in hints(item, f"{where}/{i}")]
    if not isinstance(node, Mapping):
        return []
    found = [(f"{where}/x-faker", node["x-faker"])] if "x-faker" in node else []
    skip = ("x-faker", "examples", "example", "default", "enum", "const")
    return found + [
        h for key, value in node.items() if key not in skip for h in hints(value, f"{where}/{key}")
    ]


def prune(
    schema: Mapping[str, Any], defs: Mapping[str, Any], cache: dict[str, set[str]]
) -> dict[str, Any]:
    """`schema` with just the `defs` it refers to, directly or through other defs: compiling
    all of a big spec's $defs costs milliseconds per validator. `cache` memoizes refs per def."""
    out = {key: value for key, value in schema.items() if key != "$defs"}
    needed: set[str] = set()
    todo = refs_in(out)
    while todo:
        name = todo.pop()
        if name not in needed and name in defs:
            needed.add(name)
            found = cache.get(name)
            if found is None:
                found = cache[name] = refs_in(defs[name])
            todo |= found
    if needed:
        out["$defs"] = {name: defs[name] for name in sorted(needed)}
    return out


def refs_in(node: Any) -> set[str]:
    """Names of the `#/$defs/...` a schema refers to."""
    if isinstance(node, list):
        return set().union(*(refs_in(item) for item in node))
    if not isinstance(node, Mapping):
        return set()
    found = set().union(*(refs_in(value) for key, value in node.items() if key not in VALUES))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        found.add(ref[len("#/$defs/") :].split("/")[0].replace("~1", "/").replace("~0", "~"))
    return found


def is_identifier(name: str | None) -> bool:
    return name is not None and (name == "id" or normalize_name(name).endswith("_id"))


def also_divisible(check: Check, step: float) -> Check:
    def fits(value: Any) -> bool:
        exact = not isinstance(value, float) or (value / step).is_integer()
        return exact and check(value)

    return fits


def types_of(schema: Mapping[str, Any]) -> list[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return list(dict.fromkeys(kind))
    keys = set(schema)
    if keys & {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
    }:
        return ["object"]
    if keys & {"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"}:
        return ["array"]
    if keys & {"pattern", "minLength", "maxLength", "format"}:
        return ["string"]
    if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
        return ["number"]
    return None


def singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "shes", "ches", "xes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return value
