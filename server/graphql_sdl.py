"""An executable GraphQL schema from SDL text parsed once per process.

ariadne's `make_executable_schema` parses the SDL on every call: about 30 ms of CPU for the
Klear Karma schema, at every app build (each test's app, each worker). The parsed document is
only read when a schema is built from it, so it is kept per SDL text and the steps of
`make_executable_schema` that the kit uses (bind, check enum defaults, validate) follow it.
The SDL rules (`assert_valid_sdl`, another ~20 ms a build) are checked once, when the text is
first parsed: a document that breaks them raises there and is not kept, so every build of it
raises the same error; a kept document passed them and is built with `assume_valid_sdl`. The
built schema is still validated at each build (`assert_valid_schema`, after the bindables).
"""

from __future__ import annotations

import functools
from typing import Any

from ariadne.enums_default_values import (
    repair_schema_default_enum_values,
    validate_schema_default_enum_values,
)
from ariadne.executable_schema import normalize_bindables
from graphql import DocumentNode, GraphQLSchema, assert_valid_schema, build_ast_schema, parse
from graphql.validation.validate import assert_valid_sdl


@functools.lru_cache(maxsize=16)
def parsed(sdl: str) -> DocumentNode:
    """The parsed SDL, checked against the SDL rules (raises TypeError, as a build would)."""
    document = parse(sdl)
    assert_valid_sdl(document)
    return document


def executable_schema(sdl: str, *bindables: Any) -> GraphQLSchema:
    """What `ariadne.make_executable_schema(sdl, *bindables)` returns, from the kept parse."""
    schema = build_ast_schema(parsed(sdl), assume_valid_sdl=True)
    for bindable in normalize_bindables(*bindables):
        bindable.bind_to_schema(schema)
    validate_schema_default_enum_values(schema)
    assert_valid_schema(schema)
    repair_schema_default_enum_values(schema)
    return schema
