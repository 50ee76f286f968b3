"""GraphQL SDL changes: graphql-core's own breaking and dangerous change finders, plus the
types and fields added (info)."""

from __future__ import annotations

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from contracts.diff.findings import DiffError, Finding, Level


def _rule(name: str) -> str:
    return "graphql-" + name.lower().replace("_", "-")


def _schema(sdl: str, which: str) -> GraphQLSchema:
    try:
        return build_schema(sdl)
    except (GraphQLError, TypeError) as e:
        raise DiffError(f"{which} GraphQL schema is invalid: {e}") from e


def _fields(schema: GraphQLSchema) -> dict[str, set[str]]:
    kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
    return {
        name: set(t.fields)
        for name, t in schema.type_map.items()
        if isinstance(t, kinds) and not name.startswith("__")
    }


def compare(old_sdl: str, new_sdl: str) -> list[Finding]:
    old, new = _schema(old_sdl, "old"), _schema(new_sdl, "new")
    out = [
        Finding(_rule(c.type.name), Level.BREAKING, "schema", c.description)
        for c in find_breaking_changes(old, new)
    ]
    out += [
        Finding(_rule(c.type.name), Level.DANGEROUS, "schema", c.description)
        for c in find_dangerous_changes(old, new)
    ]
    fa, fb = _fields(old), _fields(new)
    for name in sorted(set(new.type_map) - set(old.type_map)):
        if not name.startswith("__"):
            out.append(Finding("graphql-type-added", Level.INFO, name, f"type {name} added"))
    for name in sorted(fa.keys() & fb.keys()):
        for field in sorted(fb[name] - fa[name]):
            out.append(Finding("graphql-field-added", Level.INFO, f"{name}.{field}", "field added"))
    return out
