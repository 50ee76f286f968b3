"""Mend the slips of real-world documents that have one obvious meaning, with a warning,
before the OpenAPI meta-schema sees them (Prism and most tools accept them as well):

- `schema: null` in a media type or parameter (Directus): any value, `{}`;
- `type: "null"` in an OpenAPI 3.0 schema (Blockfrost's `anyOf: [..., {type: "null"}]`):
  3.0 spells it `nullable: true` with `enum: [null]`;
- an `enum` that lists a value twice (Ideal Postcodes' country codes): the first of each;
- an `allOf` whose members close themselves (`additionalProperties: false`) against the
  properties the other members declare (ShipEngine's `list body` + `error body`): no object
  can satisfy it (a property one member requires, another refuses); it is read as one object
  closed over every member's properties, the members opened (a `$ref`'d member is copied, so
  the component stays closed where it is used alone).

Examples, defaults and enum members are data, never walked as schemas."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("kk.spec")

DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", "x-examples"})
SHOWN = 3  # places named per kind of slip; the rest are counted


CLOSED_ALLOF = "an allOf whose members refuse each other's properties, read as one closed object"


def repair(doc: dict[str, Any], source: object) -> dict[str, Any]:
    """`doc` with the slips above mended in place; one warning per kind of slip."""
    found: dict[str, list[str]] = {}
    _walk(doc, doc, "", str(doc.get("openapi", "")).startswith("3.0"), found)
    for slip, places in found.items():
        more = f" and {len(places) - SHOWN} more" if len(places) > SHOWN else ""
        log.warning("%s: %s at %s%s", source, slip, ", ".join(places[:SHOWN]), more)
    return doc


def _walk(
    doc: dict[str, Any], node: Any, where: str, openapi30: bool, found: dict[str, list[str]]
) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(doc, item, f"{where}/{i}", openapi30, found)
        return
    if not isinstance(node, dict):
        return
    if "schema" in node and node["schema"] is None:
        node["schema"] = {}
        found.setdefault("`schema: null` read as any value ({})", []).append(where)
    if openapi30 and node.get("type") == "null":
        del node["type"]
        node["nullable"] = True
        node["enum"] = [None]
        found.setdefault('`type: "null"` read as 3.0\'s `nullable` + `enum: [null]`', []).append(
            where
        )
    enum = node.get("enum")
    if isinstance(enum, list) and len(enum) > 1:
        unique = _unique(enum)
        if len(unique) < len(enum):
            node["enum"] = unique
            found.setdefault("an enum listing a value twice, kept once", []).append(where)
    if _refuses_its_members(doc, node):
        _merge_closed(doc, node)
        found.setdefault(CLOSED_ALLOF, []).append(where)
    for key, value in node.items():
        if key not in DATA_KEYS:
            _walk(doc, value, f"{where}/{_escape(str(key))}", openapi30, found)


def _unique(values: list[Any]) -> list[Any]:
    """The first of each value, by JSON equality (1 and True differ, as in JSON Schema)."""
    seen: list[Any] = []
    keys: set[str] = set()
    for value in values:
        key = repr((type(value).__name__, value))
        if key not in keys:
            keys.add(key)
            seen.append(value)
    return seen


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _refuses_its_members(doc: dict[str, Any], node: dict[str, Any]) -> bool:
    members = node.get("allOf")
    if not isinstance(members, list) or not members:
        return False
    schemas = [node, *(_resolved(doc, m) for m in members)]
    if not all(isinstance(s, dict) and "patternProperties" not in s for s in schemas):
        return False
    every = set().union(*(_declared(doc, s, set()) for s in schemas))
    # `additionalProperties` sees only the properties beside it, not those of its own allOf
    return any(
        s.get("additionalProperties") is False and not every <= set(s.get("properties") or ())
        for s in schemas
    )


def _merge_closed(doc: dict[str, Any], node: dict[str, Any]) -> None:
    """The members opened and the node closed over all their properties (an empty schema
    each: the members still say what each property holds)."""
    opened = []
    for member in node["allOf"]:
        schema = _resolved(doc, member)
        if schema.get("additionalProperties") is False:
            member = {k: v for k, v in schema.items() if k != "additionalProperties"}
        opened.append(member)
    names = set().union(*(_declared(doc, s, set()) for s in [node, *opened]))
    node["allOf"] = opened
    properties = node.setdefault("properties", {})
    for name in sorted(names - set(properties)):
        properties[name] = {}
    node["additionalProperties"] = False


def _declared(doc: dict[str, Any], schema: Any, seen: set[int]) -> set[str]:
    """The property names `schema` and its `allOf` members (through local refs) declare."""
    schema = _resolved(doc, schema)
    if not isinstance(schema, dict) or id(schema) in seen:
        return set()
    seen.add(id(schema))
    names = set(schema.get("properties") or ())
    for member in schema.get("allOf") or ():
        names |= _declared(doc, member, seen)
    return names


def _resolved(doc: dict[str, Any], schema: Any) -> Any:
    """A local `$ref` followed (to its end; a cycle or a ref outside the document: as is)."""
    seen: set[str] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return schema
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return schema
            target = target[part]
        schema = target
    return schema
