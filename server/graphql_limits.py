"""Bounds of a GraphQL document: depth, field count (aliases included) and cost.

Measured once per distinct document (the validator caches the verdict) in one linear pass
over the AST, before graphql-core's own validation: a document over a bound is refused
without being validated or executed, however it is built (aliases, fragments spread many
times, nesting).

- **depth**: the longest chain of nested fields (`{a{b{c}}}` is 3);
- **fields**: every field the answer would contain once per parent, after fragments are
  expanded (`{a:x b:x}` is 2; a fragment spread twice counts twice);
- **cost**: what executing it may take, each field 1, a field with `first`/`last` (a page)
  multiplying what is selected under it by its page size. The cost is kept per document as a
  polynomial in the page sizes given in variables (`{(): 3, ("n",): 40}` is 3 + 40·n): a
  document costly whatever its variables is refused when validated (cached), and a request's
  own variables are put in before it executes (a few multiplications; absent: `page_max`).

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


Poly = dict[tuple[str, ...], int]  # variable names (sorted) -> coefficient


def _add(a: Poly, b: Poly) -> Poly:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _times(poly: Poly, factor: int | str) -> Poly:
    if isinstance(factor, int):
        return {k: v * factor for k, v in poly.items()}
    return {tuple(sorted((*k, factor))): v for k, v in poly.items()}


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    fields: int
    cost_terms: Poly

    def cost(self, sizes: dict[str, int] | None = None, default: int = 1) -> int:
        """The cost with the page-size variables of `sizes` (others at `default`)."""
        total = 0
        for names, coefficient in self.cost_terms.items():
            for name in names:
                coefficient *= (sizes or {}).get(name, default)
            total += coefficient
        return total


ZERO = Measure(0, 0, {})


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
        depth = count = 0
        cost: Poly = {}
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                depth = max(depth, inner.depth + 1)
                count += 1 + inner.fields
                below = inner.cost_terms
                for factor in self.pages(selection):
                    below = _times(below, factor)
                cost = _add(_add(cost, {(): 1}), below)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth = max(depth, inner.depth)
            count += inner.fields
            cost = _add(cost, inner.cost_terms)
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

    def pages(self, field: FieldNode) -> list[int | str]:
        """The page sizes of a field: literals (clamped as resolvers clamp) and variables."""
        found: list[int | str] = []
        for argument in field.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                found.append(min(max(int(value.value), 1), self.page_max))
            elif isinstance(value, VariableNode):
                found.append(value.name.value)
        return found[:1]  # `first` and `last` together still make one page


def measure(document: DocumentNode, page_max: int = QueryLimits.page_max) -> Measure:
    """The largest depth and field count of the document's operations, and their costs
    summed (only one runs; the sum bounds it)."""
    walk = _Walk(document, page_max)
    depth = count = 0
    cost: Poly = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            found = walk.selection_set(definition.selection_set)
            depth, count = max(depth, found.depth), max(count, found.fields)
            cost = _add(cost, found.cost_terms)
    return Measure(depth, count, cost)


def page_sizes(variables: Any, page_max: int) -> dict[str, int]:
    """A request's integer variables as page sizes, clamped to 1..page_max."""
    if not isinstance(variables, dict):
        return {}
    return {
        k: min(max(v, 1), page_max)
        for k, v in variables.items()
        if isinstance(v, int) and not isinstance(v, bool)
    }


def cost_refusal(found: Measure, variables: Any, limits: QueryLimits) -> GraphQLError | None:
    """Before execution: the cost with this request's page sizes, if over the limit."""
    if not any(found.cost_terms):  # no page size in a variable: checked when validated
        return None
    actual = found.cost(page_sizes(variables, limits.page_max), limits.page_max)
    return _error("cost", actual, limits.max_cost) if actual > limits.max_cost else None


TEXTS = {
    "depth": ("QUERY_TOO_DEEP", "nests fields {} levels deep"),
    "fields": ("QUERY_TOO_COMPLEX", "selects {} fields"),
    "cost": ("QUERY_TOO_COMPLEX", "costs {} (pages multiply)"),
}


def _error(what: str, actual: int, limit: int) -> GraphQLError:
    code, text = TEXTS[what]
    return GraphQLError(
        f"The query {text.format(actual)}; the {what} limit is {limit}",
        extensions={
            "code": code,
            "classification": "ValidationError",
            "limit": {"name": what, "maximum": limit, "actual": actual},
        },
    )


def refusals(document: DocumentNode, limits: QueryLimits) -> tuple[Measure, list[GraphQLError]]:
    """The document's measure and the bounds it breaks whatever its variables (page sizes in
    variables at 1), as GraphQL errors with a code."""
    found = measure(document, limits.page_max)
    checks = (
        ("depth", found.depth, limits.max_depth),
        ("fields", found.fields, limits.max_fields),
        ("cost", found.cost(), limits.max_cost),
    )
    return found, [_error(w, actual, limit) for w, actual, limit in checks if actual > limit]
