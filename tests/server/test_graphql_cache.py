"""The per-document validation cache never hands one document's verdict to another."""

from __future__ import annotations

from graphql import build_schema, parse

from server.graphql_documents import CachedValidator

SCHEMA = build_schema("type Query { hello(name: String!): String }")
VALID = "{ hello(name: %s) }"
INVALID = "{ a%s: hello }"  # the required argument is missing


def test_a_new_document_is_validated_even_when_it_reuses_a_freed_id() -> None:
    validate = CachedValidator(size=8)
    for i in range(400):
        # A fresh document each time, the previous one freed: CPython reuses ids at once.
        valid = i % 2 == 0
        document = parse((VALID % f'"n{i}"') if valid else (INVALID % i))
        assert (validate(SCHEMA, document) == []) is valid, i


def test_the_same_document_is_validated_once() -> None:
    validate = CachedValidator()
    document = parse(INVALID % "")
    first = validate(SCHEMA, document)
    assert first and validate(SCHEMA, document) is first
