"""GraphQL objects from the services' JSON:API resources: camelCase fields, enum values
upper-cased, related objects as `{"id": ...}` references their own resolvers complete."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
)

# Attributes whose values are GraphQL enums (REST values upper-cased).
ENUMS = frozenset({"status", "payment_status", "session_type", "user_type", "profile_visibility"})
RENAMED = {"session_type": "type"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def camel_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            camel(k): v.upper() if k in ENUMS and isinstance(v, str) else camel_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def node(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON:API resource as a GraphQL object (relationships become references)."""
    out: dict[str, Any] = {"id": resource["id"]}
    for key, value in (resource.get("attributes") or {}).items():
        if key in ENUMS and isinstance(value, str):
            value = value.upper()
        elif key == "record_types":
            value = [v.upper() for v in value]
        out[RENAMED.get(key, camel(key))] = camel_keys(value)
    for key, rel in (resource.get("relationships") or {}).items():
        data = rel.get("data") if isinstance(rel, Mapping) else None
        if isinstance(data, list):
            out[camel(key)] = [{"id": d["id"]} for d in data]
        else:
            out[camel(key)] = {"id": data["id"]} if isinstance(data, Mapping) else None
    return out


def id_of(obj: Any) -> str | None:
    """The id of a parent object, whoever resolved it (a dict, a row, a mock store node)."""
    if isinstance(obj, Mapping):
        found = obj.get("id")
    else:
        found = getattr(obj, "rid", None) or getattr(obj, "id", None)
        data = getattr(obj, "data", None)
        if found is None and isinstance(data, Mapping):
            found = data.get("id")
    return str(found) if found is not None else None


def page_args(args: Mapping[str, Any]) -> tuple[int, int]:
    """(limit, offset) of `first`/`after` (cursors are opaque offsets)."""
    first = max(1, min(int(args.get("first") or 20), 100))
    return first, offset_of(args.get("after"))


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def offset_of(value: Any) -> int:
    if not isinstance(value, str) or not value:
        return 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        return max(0, int(raw[2:])) if raw.startswith("o:") else 0
    except (ValueError, UnicodeDecodeError):
        return 0


def edges_page(
    edges: list[dict[str, Any]], total: int, more: bool, after_some: bool
) -> dict[str, Any]:
    """A Relay connection of `{"cursor", "node"}` edges: whether more follow, whether the
    page starts after other rows, and how many rows match in all."""
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": after_some,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
        "totalCount": total,
    }


def connection(items: list[dict[str, Any]], total: int, offset: int) -> dict[str, Any]:
    """A page by offset (cursors are opaque offsets)."""
    edges = [{"cursor": cursor(offset + i + 1), "node": item} for i, item in enumerate(items)]
    return edges_page(edges, total, offset + len(items) < total, offset > 0)


def args_key(info: GraphQLResolveInfo[Any], args: Mapping[str, Any]) -> tuple[Any, ...]:
    """A batch name: the field and its arguments (siblings with equal arguments batch)."""
    return (
        info.parent_type.name,
        info.field_name,
        tuple(sorted((k, str(v)) for k, v in args.items())),
    )


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def rest_value(value: Any, kind: Any) -> Any:
    """A GraphQL input value as REST writes it: snake_case keys, enum values lower-cased
    (read from the argument's input type, so no field needs listing)."""
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList) and isinstance(value, list):
        return [rest_value(v, kind.of_type) for v in value]
    if isinstance(kind, GraphQLInputObjectType) and isinstance(value, Mapping):
        return {
            snake(k): rest_value(v, kind.fields[k].type) if k in kind.fields else v
            for k, v in value.items()
        }
    if isinstance(kind, GraphQLEnumType) and isinstance(value, str):
        return value.lower()
    return value


def rest_input(info: GraphQLResolveInfo[Any], value: Any, argument: str = "input") -> Any:
    """The field's argument `argument` (its value given) as REST attributes."""
    return rest_value(value, info.parent_type.fields[info.field_name].args[argument].type)


def complete(load: Any) -> Any:
    """A field resolver for a type whose parents may be whole objects or `{"id"}` references:
    the field from the object, else from the whole object `load(info, id)` fetches (batched)."""

    async def fetch(obj: Any, info: GraphQLResolveInfo[Any]) -> Any:
        found = await load(info, id_of(obj))
        return found.get(info.field_name) if isinstance(found, Mapping) else None

    def resolve(obj: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
        # Synchronous when the object has the field (a whole object, the common case): a
        # coroutine per field costs graphql-core an await and a gather per object.
        if isinstance(obj, Mapping):
            found = obj.get(info.field_name, _ABSENT)
            if found is not _ABSENT:
                return found
        return fetch(obj, info)

    return resolve


_ABSENT = object()
