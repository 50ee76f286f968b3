"""From a GraphQL SDL: the fields a bindable may resolve, the scopes each root field needs,
and the error codes a mutation payload may carry."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLSchema, build_schema, get_named_type
from graphql.language import ListValueNode, StringValueNode

from kkcore.errors import SpecError

SCOPES_DIRECTIVE = "requiresScopes"
MIRRORS_DIRECTIVE = "mirrors"
ROOTS = ("Query", "Mutation", "Subscription")


def load_sdl(text: str, origin: str) -> GraphQLSchema:
    try:
        return build_schema(text)
    except Exception as e:  # graphql-core raises GraphQLError/TypeError for a bad SDL
        raise SpecError(f"{origin}: invalid GraphQL SDL: {e}") from e


def _scopes(field: Any) -> list[str]:
    node = field.ast_node
    for directive in getattr(node, "directives", None) or []:
        if directive.name.value != SCOPES_DIRECTIVE:
            continue
        for arg in directive.arguments:
            if arg.name.value == "scopes" and isinstance(arg.value, ListValueNode):
                return [v.value for v in arg.value.values if isinstance(v, StringValueNode)]
    return []


def _mirrors(field: Any) -> str | None:
    """The REST operationId of `@mirrors(operation: ...)` on a field, if any."""
    node = field.ast_node
    for directive in getattr(node, "directives", None) or []:
        if directive.name.value != MIRRORS_DIRECTIVE:
            continue
        for arg in directive.arguments:
            if arg.name.value == "operation" and isinstance(arg.value, StringValueNode):
                return arg.value.value
    return None


def error_codes(schema: GraphQLSchema) -> list[str]:
    """The codes a mutation payload's `errors` may carry: the values of the enum that types
    the `code` field of its items (none where no payload has such an enum)."""
    found: dict[str, None] = {}
    mutation = schema.mutation_type
    for field in mutation.fields.values() if mutation is not None else ():
        payload = get_named_type(field.type)
        errors = payload.fields.get("errors") if isinstance(payload, GraphQLObjectType) else None
        item = get_named_type(errors.type) if errors is not None else None
        code = item.fields.get("code") if isinstance(item, GraphQLObjectType) else None
        enum = get_named_type(code.type) if code is not None else None
        if isinstance(enum, GraphQLEnumType):
            found.update(dict.fromkeys(enum.values))
    return list(found)


def graphql_table(schema: GraphQLSchema) -> dict[str, Any]:
    objects: dict[str, list[str]] = {}
    scopes: dict[str, list[str]] = {}
    mirrors: dict[str, str] = {}
    for name, t in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(t, GraphQLObjectType):
            continue
        objects[name] = list(t.fields)
        for field_name, field in t.fields.items():
            needed = _scopes(field)
            if needed or name in ROOTS:
                scopes[f"{name}.{field_name}"] = needed
            operation = _mirrors(field)
            if operation is not None:
                mirrors[f"{name}.{field_name}"] = operation
    roots = {r: objects.get(r, []) for r in ROOTS}
    return {
        "roots": roots,
        "objects": objects,
        "scopes": scopes,
        "mirrors": mirrors,
        "error_codes": error_codes(schema),
    }
