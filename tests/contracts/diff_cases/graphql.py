"""GraphQL rules, from graphql-core."""

from __future__ import annotations

from tests.contracts.diff_cases.docs import B, Case, D, S

SDL = """
type Query { item(id: ID!): Item, items(first: Int): [Item!]! }
type Item { id: ID!, name: String!, kind: Kind }
enum Kind { BOOK TOY }
type Extra { x: Int }
"""

GRAPHQL_CASES: list[Case] = [
    Case(
        "graphql",
        "graphql-field-removed",
        B,
        SDL,
        SDL.replace(", name: String!", ""),
        "graphql-field-added",
        S,
    ),
    Case(
        "graphql",
        "graphql-value-added-to-enum",
        D,
        SDL,
        SDL.replace("BOOK TOY", "BOOK TOY GAME"),
        "graphql-value-removed-from-enum",
        B,
    ),
    Case(
        "graphql",
        "graphql-required-arg-added",
        B,
        SDL,
        SDL.replace("first: Int", "first: Int, after: String!"),
        "graphql-arg-removed",
        B,
    ),
    Case(
        "graphql",
        "graphql-optional-arg-added",
        D,
        SDL,
        SDL.replace("first: Int", "first: Int, after: String"),
        "graphql-arg-removed",
        B,
    ),
    Case(
        "graphql",
        "graphql-type-removed",
        B,
        SDL,
        SDL.replace("type Extra { x: Int }", ""),
        "graphql-type-added",
        S,
    ),
    Case(
        "graphql",
        "graphql-field-changed-kind",
        B,
        SDL,
        SDL.replace("name: String!", "name: Int!"),
        "graphql-field-changed-kind",
        B,
    ),
]
