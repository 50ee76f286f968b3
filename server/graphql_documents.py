"""GraphQL documents: parsed and validated once per distinct text, bounds checked first.

A document is parsed with a token limit, measured against the query bounds
(server.graphql_limits) and only then validated by graphql-core (~750 µs, the costly part,
quadratic in the worst case); the verdict is kept per document, so a client repeating a query
pays none of it again, and one sending a bomb is refused before any of it runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    StringValueNode,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql.validation import ASTValidationRule

from server.graphql_limits import Measure, QueryLimits, refusals

NUL_TEXT = "Text may not contain the NUL character (U+0000)"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _string_values(document: DocumentNode) -> list[str]:
    found: list[str] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            found.append(node.value)

    visit(document, Strings())
    return found


class CachedParser:
    """ariadne's `query_parser`: the parsed document of a query text (cached by text).

    Text with U+0000, in a variable or a string literal, is refused as REST refuses it
    (PostgreSQL cannot store it), before anything runs. A document of more than
    `max_tokens` tokens is refused while it is parsed (QUERY_TOO_COMPLEX)."""

    def __init__(self, limits: QueryLimits | None = None, size: int = 1024) -> None:
        self.max_tokens = (limits or QueryLimits()).max_tokens
        self._cache: OrderedDict[str, DocumentNode] = OrderedDict()
        self._size = size

    def parse(self, query: str) -> DocumentNode:
        found = self._cache.get(query)
        if found is not None:
            self._cache.move_to_end(query)
            return found
        try:
            document = parse(
                query, max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens
            )
        except GraphQLSyntaxError as e:
            if "Parsing aborted" not in e.message:
                raise
            deep = "nested too deeply" in e.message
            raise GraphQLError(
                "The query is nested too deeply to parse"
                if deep
                else f"The query has more than {self.max_tokens} tokens or comments",
                extensions={
                    "code": "QUERY_TOO_DEEP" if deep else "QUERY_TOO_COMPLEX",
                    "classification": "ValidationError",
                },
            ) from None
        self._cache[query] = document
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return document

    def __call__(self, context: Any, data: dict[str, Any]) -> DocumentNode:
        query = data.get("query")
        if not isinstance(query, str):
            raise GraphQLError("The query must be a string.")
        if _has_nul(data.get("variables")):
            raise GraphQLError(NUL_TEXT)
        document = self.parse(query)
        if "\\u0000" in query or "\x00" in query:
            for node in _string_values(document):
                if "\x00" in node:
                    raise GraphQLError(NUL_TEXT)
        return document


cached_parser = CachedParser()


class CachedValidator:
    """ariadne's `query_validator`: bounds, then graphql-core validation, once per distinct
    document.

    Keyed by the document's id, and the entry keeps the document alive: a freed document's id
    can be reused by a new one, which must never inherit the old document's verdict.
    """

    def __init__(self, size: int = 1024, limits: QueryLimits | None = None) -> None:
        self._cache: OrderedDict[int, tuple[DocumentNode, list[GraphQLError], Measure]] = (
            OrderedDict()
        )
        self._size = size
        self.limits = limits or QueryLimits()

    def measured(self, document: DocumentNode) -> Measure | None:
        """The bounds' measure of a document this validator has seen."""
        entry = self._cache.get(id(document))
        return entry[2] if entry is not None and entry[0] is document else None

    def __call__(
        self,
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        type_info: Any = None,
    ) -> list[GraphQLError]:
        key = id(document_ast)
        entry = self._cache.get(key)
        if entry is not None and entry[0] is document_ast:
            self._cache.move_to_end(key)
            return entry[1]
        measured, found = refusals(document_ast, self.limits)
        if not found:
            found = validate(schema, document_ast, rules=rules, max_errors=max_errors)
        self._cache[key] = (document_ast, found, measured)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found
