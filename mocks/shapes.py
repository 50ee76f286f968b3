"""Read the shape of a response schema: a single resource, a page of them, or neither.

Everything here walks `$defs`-style schemas (`#/$defs/Name`) once, at startup. A resource is
either a JSON:API resource object (`{id, type, attributes, relationships}` under `data`) or a
plain object with an id field; a page is an object holding an array of resources next to
pagination fields, or a bare array.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REF = "#/$defs/"
_COMBINATORS = ("allOf", "oneOf", "anyOf")


def ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, Mapping) else None
    return ref[len(REF) :] if isinstance(ref, str) and ref.startswith(REF) else None


def deref(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """`schema` with `$ref`s followed (siblings of a `$ref` win over its target)."""
    if not isinstance(schema, Mapping):
        return {}
    name = ref_name(schema)
    if name is None or depth > 32:
        return dict(schema)
    target = deref(defs.get(name, {}), defs, depth + 1)
    return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}


def properties(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """Declared properties of an object schema, across `allOf` members."""
    node = deref(schema, defs)
    found: dict[str, Any] = {}
    if depth > 16:
        return found
    for member in node.get("allOf") or []:
        found.update(properties(member, defs, depth + 1))
    found.update(node.get("properties") or {})
    return found


def required(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> list[str]:
    node = deref(schema, defs)
    names: list[str] = []
    if depth > 16:
        return names
    for member in node.get("allOf") or []:
        names += required(member, defs, depth + 1)
    names += [n for n in node.get("required") or [] if n not in names]
    return names


def const_of(schema: Any, defs: Mapping[str, Any]) -> Any:
    node = deref(schema, defs)
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def is_array(schema: Any, defs: Mapping[str, Any]) -> bool:
    node = deref(schema, defs)
    kind = node.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind) or "items" in node


def item_schema(schema: Any, defs: Mapping[str, Any]) -> Any:
    items = deref(schema, defs).get("items")
    return items if isinstance(items, Mapping) else {}


def is_jsonapi_resource(schema: Any, defs: Mapping[str, Any]) -> bool:
    props = properties(schema, defs)
    return {"id", "type", "attributes"} <= set(props)


def plain_id_field(schema: Any, defs: Mapping[str, Any], hint: str | None) -> str | None:
    """The id property of a plain resource: the path parameter's name if declared, else `id`."""
    props = properties(schema, defs)
    for name in (hint, "id"):
        if name and name in props and not is_array(props[name], defs):
            return name
    return None


PAGE_SIZE = ("limit", "per_page", "page_size", "size", "pagesize")
PAGE_OFFSET = ("offset", "skip", "start")
PAGE_NUMBER = ("page", "page_number")
PAGE_TOTAL = ("total_count", "total", "count", "total_items", "totalcount")
PAGE_PAGES = ("total_pages", "pages", "page_count")
PAGE_LINKS = ("next", "prev", "previous", "first", "last", "self")


@dataclass(frozen=True)
class Shape:
    """What a response body holds.

    kind: "one" (a resource), "many" (resources in an array at `items_at`), "other".
    `schema` is the resource's schema (a `$ref` when the spec names it), `key` its name.
    `envelope` is the array's parent object schema for "many" pages, `meta_at` where
    pagination fields live (the envelope itself, or its `meta`).
    """

    kind: str
    key: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)
    jsonapi: bool = False
    items_at: tuple[str, ...] = ()
    envelope: Mapping[str, Any] = field(default_factory=dict)
    meta_at: tuple[str, ...] | None = None
    links_at: tuple[str, ...] | None = None


def _resource_key(schema: Any, defs: Mapping[str, Any]) -> str | None:
    """Only named schemas are resources: the name keys their collection."""
    return ref_name(schema)


def _pagination_home(envelope: Any, defs: Mapping[str, Any], array: str) -> tuple[str, ...] | None:
    props = properties(envelope, defs)
    names = set(props) - {array}
    wanted = set(PAGE_TOTAL + PAGE_SIZE + PAGE_OFFSET + PAGE_NUMBER + PAGE_PAGES)
    if names & wanted:
        return ()
    meta = props.get("meta")
    if meta is not None and set(properties(meta, defs)) & wanted:
        return ("meta",)
    return None


def shape_of(schema: Any, defs: Mapping[str, Any]) -> Shape:
    """Classify a response schema (see Shape)."""
    if not schema:
        return Shape("other")
    if is_array(schema, defs):
        item = item_schema(schema, defs)
        key = _resource_key(item, defs)
        if key and properties(item, defs):
            return Shape("many", key, item, is_jsonapi_resource(item, defs))
        return Shape("other")
    props = properties(schema, defs)
    data = props.get("data")
    if data is not None:
        if is_array(data, defs):
            item = item_schema(data, defs)
            key = _resource_key(item, defs)
            if key and properties(item, defs):
                links = ("links",) if "links" in props else None
                return Shape(
                    "many",
                    key,
                    item,
                    is_jsonapi_resource(item, defs),
                    ("data",),
                    schema,
                    _pagination_home(schema, defs, "data"),
                    links,
                )
        elif is_jsonapi_resource(data, defs):
            key = _resource_key(data, defs)
            if key:
                return Shape("one", key, data, True, ("data",))
    arrays = [
        (name, sub)
        for name, sub in props.items()
        if is_array(sub, defs) and _resource_key(item_schema(sub, defs), defs)
    ]
    home = _pagination_home(schema, defs, arrays[0][0]) if len(arrays) == 1 else None
    if len(arrays) == 1 and (home is not None or arrays[0][0] in required(schema, defs)):
        name, sub = arrays[0]
        item = item_schema(sub, defs)
        return Shape(
            "many",
            _resource_key(item, defs),
            item,
            is_jsonapi_resource(item, defs),
            (name,),
            schema,
            home,
        )
    key = ref_name(schema)
    if key and props:
        return Shape("one", key, schema, False)
    return Shape("other")
