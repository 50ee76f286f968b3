"""Mend the slips of real-world documents that have one obvious meaning, with a warning,
before the OpenAPI meta-schema sees them (Prism and most tools accept them as well):

- `schema: null` in a media type or parameter (Directus): any value, `{}`;
- `type: "null"` in an OpenAPI 3.0 schema (Blockfrost's `anyOf: [..., {type: "null"}]`):
  3.0 spells it `nullable: true` with `enum: [null]`;
- an `enum` that lists a value twice (Ideal Postcodes' country codes): the first of each.

Examples, defaults and enum members are data, never walked as schemas."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("kk.spec")

DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", "x-examples"})
SHOWN = 3  # places named per kind of slip; the rest are counted


def repair(doc: dict[str, Any], source: object) -> dict[str, Any]:
    """`doc` with the slips above mended in place; one warning per kind of slip."""
    found: dict[str, list[str]] = {}
    _walk(doc, "", str(doc.get("openapi", "")).startswith("3.0"), found)
    for slip, places in found.items():
        more = f" and {len(places) - SHOWN} more" if len(places) > SHOWN else ""
        log.warning("%s: %s at %s%s", source, slip, ", ".join(places[:SHOWN]), more)
    return doc


def _walk(node: Any, where: str, openapi30: bool, found: dict[str, list[str]]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{where}/{i}", openapi30, found)
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
    for key, value in node.items():
        if key not in DATA_KEYS:
            _walk(value, f"{where}/{_escape(str(key))}", openapi30, found)


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
