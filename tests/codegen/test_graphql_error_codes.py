"""The codes a mutation payload's `errors` may carry come from the GraphQL schema (the enum
typing `errors[].code`), written to generated/ by `kk generate` and read by the mock store from
the schema it serves: no list of Klear Karma's codes copied by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, get_named_type

from generated.graphql_fields import GRAPHQL
from kkcore.graphql import error_codes, graphql_table, load_sdl
from mocks.graphql_mutations import user_code

SPEC = Path(__file__).resolve().parents[2] / "spec" / "schema.graphql"
FOREIGN = """
enum Problem { TOO_LONG TAKEN }
type Fault { path: String, code: Problem! }
type Loose { code: Problem }
type Plain { code: String }
type Shelf { id: ID! }
type ShelfResult { shelf: Shelf, errors: [Fault!]! }
type LooseResult { shelf: Shelf, errors: [Loose!]! }
type PlainResult { shelf: Shelf, errors: [Plain!]! }
type Query { shelf: Shelf }
type Mutation {
  addShelf(name: String!): ShelfResult!
  tryShelf(name: String!): LooseResult!
  nameShelf(name: String!): PlainResult!
}
"""


def payload(sdl: str, mutation: str) -> Any:
    schema = build_schema(sdl)
    assert schema.mutation_type is not None
    return get_named_type(schema.mutation_type.fields[mutation].type)


def test_the_flagship_codes_are_the_schemas_error_code_enum_in_its_order() -> None:
    schema = load_sdl(SPEC.read_text(encoding="utf-8"), "schema.graphql")
    enum: Any = schema.type_map["ErrorCode"]
    assert GRAPHQL["error_codes"] == list(enum.values)
    assert {"BOOKING_CONFLICT", "VALIDATION_ERROR"} <= set(GRAPHQL["error_codes"])


def test_a_foreign_schemas_codes_are_its_own_enum_and_a_string_code_adds_none() -> None:
    schema = build_schema(FOREIGN)
    assert error_codes(schema) == ["TOO_LONG", "TAKEN"]
    assert graphql_table(schema)["error_codes"] == ["TOO_LONG", "TAKEN"]
    assert error_codes(build_schema("type Query { a: Int }")) == []


@pytest.mark.parametrize(
    ("mutation", "code", "shown"),
    [
        ("addShelf", "TAKEN", "TAKEN"),  # the enum has it
        ("addShelf", "BOOKING_CONFLICT", "TOO_LONG"),  # non-null: the enum's first value
        ("tryShelf", "BOOKING_CONFLICT", None),  # nullable: null, not a code it lacks
        ("nameShelf", "ANYTHING_AT_ALL", "ANYTHING_AT_ALL"),  # a String code: as is
    ],
)
def test_the_mock_shows_only_codes_the_payloads_schema_allows(
    mutation: str, code: str, shown: str | None
) -> None:
    assert user_code(payload(FOREIGN, mutation), code) == shown


def test_the_flagship_mock_keeps_its_own_codes_and_maps_others_to_validation_error() -> None:
    sdl = SPEC.read_text(encoding="utf-8")
    booking = payload(sdl, "createBooking")
    assert user_code(booking, "BOOKING_CONFLICT") == "BOOKING_CONFLICT"
    assert user_code(booking, "NOT_A_CODE") == "VALIDATION_ERROR"
