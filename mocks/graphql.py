"""Mock resolvers for any GraphQL schema: deterministic values for every unresolved field.

Values follow the field name (firstName -> a first name, rating -> 1.0-5.0) through the same
fake-data providers as REST. Subscriptions stream events of the bus channel named by
`@channel(name: ...)` on the field, else the plural of the returned type (Booking -> bookings).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql.language import StringValueNode

from mocks.fake import FakeData
from server.events import EventBus

MAX_LIST = 20
DEFAULT_LIST = 3
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def camel_keys(attributes: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in attributes.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = value
    return out


SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "String": {"type": "string", "maxLength": 120},
    "Int": {"type": "integer", "minimum": 0, "maximum": 1000},
    "Float": {"type": "number", "minimum": 0, "maximum": 1000},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "Time": {"type": "string", "format": "time"},
    "URL": {"type": "string", "format": "uri"},
    "Email": {"type": "string", "format": "email"},
}


class GraphQLMocker:
    """`mocker(schema)` gives every field without a resolver a deterministic mock one."""

    def __init__(self, fake: FakeData, bus: EventBus | None = None) -> None:
        self.fake = fake
        self.bus = bus
        self._schemas: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self, schema: GraphQLSchema) -> None:
        for type_ in schema.type_map.values():
            if (
                isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType))
                and type_.resolve_type is None
            ):
                possible = [t.name for t in schema.get_possible_types(type_)]
                type_.resolve_type = lambda obj, info, t, _p=possible: (
                    obj.get("__typename")
                    if isinstance(obj, dict) and "__typename" in obj
                    else _p[0]
                )
            if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
                continue
            for name, field in type_.fields.items():
                if type_.name == "Subscription" and field.subscribe is None:
                    field.subscribe = self._subscriber(field, name)
                    field.resolve = field.resolve or self.resolve_event
                elif field.resolve is None:
                    field.resolve = self.resolve

    # -- values ---------------------------------------------------------------------------------

    def _scalar(self, type_name: str, field: str, key: str) -> Any:
        cached = self._schemas.get((type_name, field))
        if cached is None:
            prop = snake(field)
            inner = SCALAR_SCHEMAS.get(type_name, {"type": "string"})
            cached = {"type": "object", "properties": {prop: inner}, "required": [prop]}
            self._schemas[(type_name, field)] = cached
        value = self.fake.instance(cached, key=key)
        return next(iter(value.values()))

    def value(self, t: Any, field: str, parent: str, key: str, first: int | None) -> Any:
        if isinstance(t, GraphQLNonNull):
            return self.value(t.of_type, field, parent, key, first)
        if isinstance(t, GraphQLList):
            count = max(0, min(first if first is not None else DEFAULT_LIST, MAX_LIST))
            return [self.value(t.of_type, field, parent, f"{key}.{i}", None) for i in range(count)]
        if isinstance(t, GraphQLEnumType):
            values = list(t.values)
            return values[
                self.fake.instance(
                    {"type": "integer", "minimum": 0, "maximum": len(values) - 1}, key=key
                )
            ]
        if isinstance(t, GraphQLScalarType):
            if t.name == "ID":
                token = self._scalar("String", "token", key)
                return f"{snake(parent)}_{re.sub(r'[^a-z0-9]', '', token.lower())[:10] or 'x'}"
            if t.name == "JSON":
                return {}
            return self._scalar(t.name, field, key)
        obj: dict[str, Any] = {"__key": key}
        if first is not None:
            obj["__first"] = first
        return obj

    def resolve(self, obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        name = info.field_name
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if not isinstance(obj, dict) and obj is not None and hasattr(obj, name):
            return getattr(obj, name)
        key = "/".join(str(p) for p in info.path.as_list())
        first = args.get("first", args.get("last"))
        if first is None and isinstance(obj, dict):
            first = obj.get("__first")
        return self.value(info.return_type, name, named_type(info.return_type), key, first)

    # -- subscriptions ----------------------------------------------------------------------------

    def _subscriber(self, field: GraphQLField, name: str) -> Any:
        channel = _channel_of(field) or named_type(field.type).lower() + "s"
        bus = self.bus

        async def subscribe(
            obj: Any, info: GraphQLResolveInfo[Any], **args: Any
        ) -> AsyncIterator[Any]:
            if bus is None:
                return
            subscription = bus.subscribe([channel])
            identity = info.context.get("identity") if isinstance(info.context, dict) else None
            subject = getattr(identity, "subject", None)
            try:
                async for event in subscription:
                    if event.type.startswith("ws.") or not (
                        identity is None or event.visible_to(subject)
                    ):
                        continue
                    if not _matches(event.data, args):
                        continue
                    yield event
            finally:
                subscription.close()

        return subscribe

    def resolve_event(self, event: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        data = getattr(event, "data", event)
        if isinstance(data, dict) and "attributes" in data:
            return {"id": data.get("id"), **camel_keys(data.get("attributes") or {})}
        return data


def named_type(t: Any) -> str:
    """The name of a type under its list and non-null wrappers."""
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return str(getattr(t, "name", "Object"))


def _channel_of(field: GraphQLField) -> str | None:
    node = field.ast_node
    for directive in getattr(node, "directives", None) or []:
        if directive.name.value == "channel":
            for arg in directive.arguments:
                if arg.name.value == "name" and isinstance(arg.value, StringValueNode):
                    return arg.value.value
    return None


def _matches(data: dict[str, Any], args: dict[str, Any]) -> bool:
    """Subscription arguments (userId, conversationId) filter events by the same-named
    attribute, or by the relationship it names (`conversation` for conversationId)."""
    attributes = {**(data.get("attributes") or {}), **data}
    relationships = data.get("relationships") or {}
    for key, wanted in args.items():
        name = snake(key)
        have = attributes.get(name, attributes.get(key))
        if have is None and name.endswith("_id"):
            rel = relationships.get(name[:-3])
            target = rel.get("data") if isinstance(rel, dict) else None
            have = target.get("id") if isinstance(target, dict) else None
        if have is not None and have != wanted:
            return False
    return True
