"""The values GraphQL over the sandbox store passes around: `Node` (a stored record or a
value embedded in one), opaque cursors, and GraphQL input turned into REST's spelling."""

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

from mocks.resources import Resource, snake


class Node:
    """An object being resolved: a stored record, or a value embedded in one."""

    __slots__ = ("res", "data", "rels", "rid", "key")

    def __init__(
        self,
        res: Resource | None,
        data: Mapping[str, Any],
        key: str,
        rels: Mapping[str, Any] | None = None,
        rid: str | None = None,
    ) -> None:
        self.res = res
        self.data = data
        self.rels = rels or {}
        self.rid = rid
        self.key = key


def cursor(rid: str) -> str:
    return base64.urlsafe_b64encode(f"c:{rid}".encode()).decode().rstrip("=")


def uncursor(value: str | None) -> str | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return raw[2:] if raw.startswith("c:") else None


def unwrap(t: Any) -> Any:
    return t.of_type if isinstance(t, GraphQLNonNull) else t


def lower_enums(value: Any, t: Any) -> Any:
    """GraphQL input values with their enum values as REST writes them (lower case)."""
    t = unwrap(t)
    if isinstance(t, GraphQLList) and isinstance(value, list):
        return [lower_enums(v, t.of_type) for v in value]
    if isinstance(t, GraphQLInputObjectType) and isinstance(value, Mapping):
        return {
            k: lower_enums(v, t.fields[k].type) if k in t.fields else v for k, v in value.items()
        }
    if isinstance(t, GraphQLEnumType) and isinstance(value, str):
        return value.lower()
    return value


def snake_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def typed_args(info: GraphQLResolveInfo[Any], args: Mapping[str, Any]) -> dict[str, Any]:
    field = info.parent_type.fields[info.field_name]
    return {
        k: lower_enums(v, field.args[k].type) if k in field.args else v for k, v in args.items()
    }
