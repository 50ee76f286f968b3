"""Bounds of a GraphQL document: depth, field count (aliases included) and cost.

Measured once per distinct document (the validator caches the verdict) in one linear pass
over the AST, before graphql-core's own validation: a document over a bound is refused
without being validated or executed, however it is built (aliases, fragments spread many
times, nesting).

- **depth**: the longest chain of nested fields (`{a{b{c}}}` is 3);
- **fields**: every field the answer would contain once per parent, after fragments are
  expanded (`{a:x b:x}` is 2; a fragment spread twice counts twice);
- **cost**: what executing it may take, each field 1, a field with `first`/`last` (a page)
  multiplying what is selected under it by its page size. A page size given in a variable
  counts as the largest page (`page_max`): the verdict holds for any variables.

Why not ariadne's `cost_validator`: it reads page sizes from the request's variables, so its
verdict cannot be cached per document, and a size left to a variable it was not given costs
nothing; it has no depth or alias bound either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

PAGE_ARGUMENTS = ("first", "last")
ENV_PREFIX = "KK_GRAPHQL_"


@dataclass(frozen=True)
class QueryLimits:
    """The bounds and their defaults (README: "GraphQL limits")."""

    max_depth: int = 15
    max_fields: int = 500
    max_cost: int = 20_000
    # graphql-core's parser stops after this many tokens (a 1 MiB body holds ~500k).
    max_tokens: int = 20_000
    page_max: int = 100

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> QueryLimits:
        """Defaults, then KK_GRAPHQL_MAX_DEPTH... from the environment, then `overrides`."""
        found: dict[str, int] = {}
        for f in fields(cls):
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw:
                found[f.name] = _positive(f.name, raw)
        for key, value in (overrides or {}).items():
            if key not in {f.name for f in fields(cls)}:
                raise ValueError(f"unknown GraphQL limit {key!r}")
            found[key] = _positive(key, value)
        return replace(cls(), **found)


def _positive(name: str, raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError) as e:
        raise ValueError(f"GraphQL limit {name} must be a whole number, not {raw!r}") from e
    if value < 1:
        raise ValueError(f"GraphQL limit {name} must be at least 1, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    fields: int
    cost: int


ZERO = Measure(0, 0, 0)


class _Walk:
    """One pass over a document; each fragment measured once (a spread reuses it)."""

    def __init__(self, document: DocumentNode, page_max: int) -> None:
        self.page_max = page_max
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, Measure] = {}
        self.active: set[str] = set()  # a fragment cycle is graphql-core's error, not a loop

    def selection_set(self, node: SelectionSetNode | None) -> Measure:
        if node is None:
            return ZERO
        depth = count = cost = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                pages = self.pages(selection)
                depth = max(depth, inner.depth + 1)
                count += 1 + inner.fields
                cost += 1 + pages * inner.cost
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth = max(depth, inner.depth)
            count += inner.fields
            cost += inner.cost
        return Measure(depth, count, cost)

    def fragment(self, name: str) -> Measure:
        found = self.done.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return ZERO
        self.active.add(name)
        found = self.done[name] = self.selection_set(definition.selection_set)
        self.active.discard(name)
        return found

    def pages(self, field: FieldNode) -> int:
        size = 1
        for argument in field.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                size = max(size, min(max(int(value.value), 1), self.page_max))
            elif isinstance(value, VariableNode):
                size = self.page_max
        return size


def measure(document: DocumentNode, page_max: int = QueryLimits.page_max) -> Measure:
    """The largest depth, field count and cost of the document's operations."""
    walk = _Walk(document, page_max)
    depth = count = cost = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            found = walk.selection_set(definition.selection_set)
            depth, count, cost = (
                max(depth, found.depth),
                max(count, found.fields),
                max(cost, found.cost),
            )
    return Measure(depth, count, cost)


def refusals(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    """The bounds `document` breaks, as GraphQL errors with a code (none: within bounds)."""
    found = measure(document, limits.page_max)
    errors = []
    checks = (
        ("depth", found.depth, limits.max_depth, "QUERY_TOO_DEEP", "nests fields {} levels deep"),
        ("fields", found.fields, limits.max_fields, "QUERY_TOO_COMPLEX", "selects {} fields"),
        ("cost", found.cost, limits.max_cost, "QUERY_TOO_COMPLEX", "costs {} (pages multiply)"),
    )
    for what, actual, limit, code, text in checks:
        if actual > limit:
            errors.append(
                GraphQLError(
                    f"The query {text.format(actual)}; the {what} limit is {limit}",
                    extensions={
                        "code": code,
                        "classification": "ValidationError",
                        "limit": {"name": what, "maximum": limit, "actual": actual},
                    },
                )
            )
    return errors
