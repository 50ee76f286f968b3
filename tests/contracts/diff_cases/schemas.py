"""Schema pairs, each narrowed old -> new, placed in a request and (swapped) in a response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.diff import Level
from tests.contracts.diff_cases.docs import INT, STRING, B, Case, D, S, answer, body, obj


@dataclass(frozen=True)
class Pair:
    """A schema narrowed old -> new: in a request that refuses what old clients send; swapped
    in a response it returns what old clients cannot read."""

    narrowed: str
    widened: str
    old: dict[str, Any]
    new: dict[str, Any]
    levels: tuple[Level, Level, Level, Level] = (B, S, S, B)  # request ->, <-, response ->, <-
    version: str = "3.1.0"


BOTH_WAYS = (B, B, B, B)  # neither a subset nor a superset: breaking both ways
MAX_LENGTH = ("max-length-decreased", "max-length-increased")
MINIMUM = ("minimum-increased", "minimum-decreased")
MAXIMUM = ("maximum-decreased", "maximum-increased")
MULTIPLE_OF = ("multiple-of-narrowed", "multiple-of-widened")


def both_ways(kind: str, old: dict[str, Any], new: dict[str, Any]) -> Pair:
    """A `<kind>-changed` pair, neither narrower nor wider: breaking both ways."""
    return Pair(f"{kind}-changed", f"{kind}-changed", old, new, BOTH_WAYS)


PAIRS: list[Pair] = [
    Pair("type-narrowed", "type-widened", {"type": ["string", "integer"]}, STRING),
    Pair("type-narrowed", "type-widened", {"type": "number"}, INT),
    both_ways("type", STRING, INT),
    Pair("became-not-nullable", "became-nullable", {"type": ["string", "null"]}, STRING),
    Pair(
        "became-not-nullable",
        "became-nullable",
        STRING | {"nullable": True},
        STRING,
        version="3.0.3",
    ),
    Pair("format-narrowed", "format-widened", INT | {"format": "int64"}, INT | {"format": "int32"}),
    Pair("format-narrowed", "format-widened", STRING, STRING | {"format": "email"}),
    both_ways("format", STRING | {"format": "date"}, STRING | {"format": "uuid"}),
    Pair(*MINIMUM, INT | {"minimum": 0}, INT | {"minimum": 1}),
    Pair(*MINIMUM, INT | {"minimum": 0}, INT | {"exclusiveMinimum": 0}),
    Pair(
        *MINIMUM,
        INT | {"minimum": 0},
        INT | {"minimum": 0, "exclusiveMinimum": True},
        version="3.0.3",
    ),
    Pair(*MAXIMUM, INT, INT | {"maximum": 10}),
    Pair(*MAXIMUM, INT | {"maximum": 10}, INT | {"exclusiveMaximum": 10}),
    Pair("min-length-increased", "min-length-decreased", STRING, STRING | {"minLength": 3}),
    Pair(*MAX_LENGTH, STRING | {"maxLength": 500}, STRING | {"maxLength": 200}),
    Pair(
        "min-items-increased",
        "min-items-decreased",
        {"type": "array"},
        {"type": "array", "minItems": 1},
    ),
    Pair(
        "max-items-decreased",
        "max-items-increased",
        {"type": "array", "maxItems": 9},
        {"type": "array", "maxItems": 3},
    ),
    Pair(
        "min-properties-increased", "min-properties-decreased", obj(), obj() | {"minProperties": 1}
    ),
    Pair(
        "max-properties-decreased", "max-properties-increased", obj(), obj() | {"maxProperties": 1}
    ),
    Pair(
        "unique-items-added",
        "unique-items-removed",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
    ),
    Pair("pattern-added", "pattern-removed", STRING, STRING | {"pattern": "^a"}),
    both_ways("pattern", STRING | {"pattern": "^a"}, STRING | {"pattern": "^b"}),
    Pair(*MULTIPLE_OF, INT | {"multipleOf": 2}, INT | {"multipleOf": 4}),
    Pair(*MULTIPLE_OF, {"type": "number"}, {"type": "number", "multipleOf": 0.5}),
    both_ways("multiple-of", INT | {"multipleOf": 2}, INT | {"multipleOf": 3}),
    Pair("const-added", "const-removed", STRING, STRING | {"const": "x"}),
    both_ways("const", STRING | {"const": "x"}, STRING | {"const": "y"}),
    Pair(
        "enum-value-removed",
        "enum-value-added",
        STRING | {"enum": ["a", "b"]},
        STRING | {"enum": ["a"]},
        (B, S, S, D),
    ),
    Pair("enum-added", "enum-removed", STRING, STRING | {"enum": ["a"]}, (B, S, S, D)),
    Pair("property-became-required", "property-became-optional", obj([]), obj(["a"])),
    Pair(
        "additional-properties-narrowed",
        "additional-properties-widened",
        obj(),
        obj() | {"additionalProperties": False},
        (B, S, S, D),
    ),
    Pair(
        "additional-properties-narrowed",
        "additional-properties-widened",
        obj() | {"additionalProperties": STRING},
        obj() | {"additionalProperties": False},
        (B, S, S, D),
    ),
    Pair(
        *MAX_LENGTH,
        obj() | {"additionalProperties": STRING},
        obj() | {"additionalProperties": STRING | {"maxLength": 3}},
    ),
    Pair(
        *MAX_LENGTH,
        {"type": "array", "items": STRING},
        {"type": "array", "items": STRING | {"maxLength": 3}},
    ),
    Pair(
        "became-read-only",
        "no-longer-read-only",
        obj(a=STRING),
        obj(a=STRING | {"readOnly": True}),
        (B, S, S, S),
    ),
    Pair(
        "became-write-only",
        "no-longer-write-only",
        obj(a=STRING),
        obj(a=STRING | {"writeOnly": True}),
        (S, S, B, S),
    ),
    Pair(
        "one-of-variant-removed",
        "one-of-variant-added",
        {"oneOf": [STRING, INT]},
        {"oneOf": [STRING]},
    ),
    Pair(
        "any-of-variant-removed",
        "any-of-variant-added",
        {"anyOf": [STRING | {"title": "text"}, INT | {"title": "count"}]},
        {"anyOf": [INT | {"title": "count"}]},
    ),
    Pair(
        *MAX_LENGTH,
        {"oneOf": [obj(), STRING | {"maxLength": 9}]},
        {"oneOf": [obj(), STRING | {"maxLength": 5}]},
    ),
    Pair(
        "discriminator-value-removed",
        "discriminator-value-added",
        {"discriminator": {"propertyName": "k", "mapping": {"a": "#/x", "b": "#/y"}}},
        {"discriminator": {"propertyName": "k", "mapping": {"a": "#/x"}}},
        (B, S, S, D),
    ),
    both_ways(
        "discriminator",
        {"discriminator": {"propertyName": "k"}},
        {"discriminator": {"propertyName": "kind"}},
    ),
    Pair(
        "default-changed",
        "default-changed",
        INT | {"default": 10},
        INT | {"default": 20},
        (D, D, S, S),
    ),
    # nested under a property, through an allOf and a $ref-free path
    Pair(
        *MAX_LENGTH,
        {"allOf": [obj(a=STRING | {"maxLength": 9})]},
        {"allOf": [obj(a=STRING | {"maxLength": 8})]},
    ),
]


def _pair_cases(pair: Pair) -> list[Case]:
    req_fwd, req_back, resp_fwd, resp_back = pair.levels
    return [
        Case(
            "openapi",
            f"request-{pair.narrowed}",
            req_fwd,
            body(pair.old, pair.version),
            body(pair.new, pair.version),
            f"request-{pair.widened}",
            req_back,
        ),
        Case(
            "openapi",
            f"response-{pair.widened}",
            resp_back,
            answer(pair.new, pair.version),
            answer(pair.old, pair.version),
            f"response-{pair.narrowed}",
            resp_fwd,
        ),
    ]


SCHEMA_CASES = [case for pair in PAIRS for case in _pair_cases(pair)]
