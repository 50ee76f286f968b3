"""GraphQL rules, from graphql-core."""

from __future__ import annotations

from contracts.diff import Level
from tests.contracts.diff_cases.docs import B, Case, D, S, cases

case = cases("graphql")

SDL = """
type Query { item(id: ID!): Item, items(first: Int): [Item!]! }
type Item { id: ID!, name: String!, kind: Kind }
enum Kind { BOOK TOY }
type Extra { x: Int }
"""


def edit(rule: str, level: Level, was: str, now: str, back: str, back_level: Level) -> Case:
    """The case of one edit to `SDL`: `was` replaced by `now` (both ways)."""
    return case(rule, level, SDL, SDL.replace(was, now), back, back_level)


GRAPHQL_CASES: list[Case] = [
    edit("graphql-field-removed", B, ", name: String!", "", "graphql-field-added", S),
    edit(
        "graphql-value-added-to-enum",
        D,
        "BOOK TOY",
        "BOOK TOY GAME",
        "graphql-value-removed-from-enum",
        B,
    ),
    edit(
        "graphql-required-arg-added",
        B,
        "first: Int",
        "first: Int, after: String!",
        "graphql-arg-removed",
        B,
    ),
    edit(
        "graphql-optional-arg-added",
        D,
        "first: Int",
        "first: Int, after: String",
        "graphql-arg-removed",
        B,
    ),
    edit("graphql-type-removed", B, "type Extra { x: Int }", "", "graphql-type-added", S),
    edit(
        "graphql-field-changed-kind",
        B,
        "name: String!",
        "name: Int!",
        "graphql-field-changed-kind",
        B,
    ),
]
