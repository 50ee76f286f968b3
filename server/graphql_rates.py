"""Root fields spend the rate-limit classes of the REST operations they mirror.

`@mirrors(operation: "searchPractitioners")` on a root field (generated into the GraphQL table)
names the REST operation; its `x-rate-limit` class is what the field spends, once per use:
`{a: practitioners {...} b: practitioners {...}}` spends the search class twice, as two REST
searches would. A field over its limit is a field error RATE_LIMIT_EXCEEDED (the others still
run, as REST answers the requests within the limit and 429s the rest). A field of the account
class (`default`) spends the account budget; the request itself already spent one unit of it.

The plan runs as ariadne's `root_value` hook: after validation, before anything executes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from kkcore.errors import RateLimitExceeded
from server.config import RateLimiter

ACCOUNT = "default"


class Refusals(dict[str, RateLimitExceeded]):
    """The root value of an operation some of whose root fields are over their limit:
    response key -> the error that field answers with."""


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition
    return None


def root_fields(document: DocumentNode, operation_name: str | None) -> Iterator[FieldNode]:
    """Every root field the operation selects, aliased copies and fragments' ones included."""
    operation = _operation(document, operation_name)
    if operation is None:
        return
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                found = fragments.get(selection.name.value)
                if found is not None and found.name.value not in seen:
                    seen.add(found.name.value)  # a fragment spread twice merges into one
                    yield from walk(found.selection_set)

    yield from walk(operation.selection_set)


class RootRates:
    """ariadne's `root_value`: spends each root field's class; the refused ones, if any."""

    def __init__(self, limiter: RateLimiter, classes: Mapping[str, str | None]) -> None:
        self.limiter = limiter
        self.classes = classes  # "Query.practitioners" -> "search"

    async def __call__(
        self, context: Any, operation_name: str | None, variables: Any, document: DocumentNode
    ) -> Refusals | None:
        operation = _operation(document, operation_name)
        if operation is None or not isinstance(context, dict):
            return None
        request = context.get("request")
        scope = getattr(request, "scope", None)
        if scope is None:
            return None
        root = operation.operation.value.capitalize()  # Query, Mutation, Subscription
        identity = context.get("identity")
        refused = Refusals()
        account_spent = False
        keys: set[str] = set()
        for field in root_fields(document, operation_name):
            name, key = field.name.value, (field.alias or field.name).value
            if name.startswith("__") or key in keys:  # one response key runs once
                continue
            keys.add(key)
            rate_class: str | None = self.classes.get(f"{root}.{name}") or ACCOUNT
            if rate_class == ACCOUNT:
                if not account_spent:  # the request's own unit
                    account_spent = True
                    continue
                rate_class = None  # RateLimiter: None is the account budget
            try:
                await self.limiter.hit(scope, identity, rate_class)
            except RateLimitExceeded as e:
                refused[key] = e
        return refused or None
