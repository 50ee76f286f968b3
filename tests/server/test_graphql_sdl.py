"""server/graphql_sdl.py: the SDL is parsed and checked against the SDL rules once per text;
an SDL that breaks them is refused at every build, and the schema is still validated at each."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
from ariadne import QueryType

from server import graphql_sdl
from server.graphql_sdl import executable_schema, parsed

# graphql's packages re-export functions under their modules' names: the module itself, where
# build_ast_schema imports the check from when it runs it
rules = importlib.import_module("graphql.validation.validate")

SDL = "type Query { hello(name: String!): String! }\n"


def test_the_sdl_rules_run_once_per_text_not_at_every_build() -> None:
    parsed.cache_clear()
    with (
        mock.patch.object(
            graphql_sdl, "assert_valid_sdl", wraps=rules.assert_valid_sdl, create=True
        ) as here,
        mock.patch.object(rules, "assert_valid_sdl", wraps=rules.assert_valid_sdl) as in_build,
    ):
        schemas = [executable_schema(SDL) for _ in range(3)]
    assert here.call_count + in_build.call_count == 1
    assert all(s.query_type is not None and "hello" in s.query_type.fields for s in schemas)


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query { a: Missing }", "Unknown type 'Missing'"),
        (
            "type Query { a: Int }\ntype Query { b: Int }",
            "There can be only one type named 'Query'",
        ),
    ],
)
def test_an_sdl_that_breaks_the_rules_is_refused_at_every_build(sdl: str, message: str) -> None:
    for _ in range(2):
        with pytest.raises(TypeError, match=message):
            executable_schema(sdl)


def test_the_built_schema_is_still_validated_with_its_bindables() -> None:
    query = QueryType()
    query.set_field("hello", lambda *_, name: f"hi {name}")
    executable_schema(SDL, query)  # binds
    wrong = QueryType()
    wrong.set_field("nope", lambda *_: "x")
    with pytest.raises(ValueError, match="nope"):
        executable_schema(SDL, wrong)
