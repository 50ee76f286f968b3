"""The rules as data: each rule's id and level, per direction where direction matters.

A schema keyword change has an *effect* on the set of values the schema admits: narrowed
(fewer values valid), widened (more), changed (neither a subset nor a superset), or, for
members such as properties and messages, added/removed. The direction decides the level: a
narrowed request refuses what old clients send; a widened response returns what old clients
cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from contracts.diff.findings import Direction, Finding, Level


class Effect(Enum):
    NARROWED = "narrowed"
    WIDENED = "widened"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


B, D, S = Level.BREAKING, Level.DANGEROUS, Level.INFO  # S: safe (info)
N, W, C, A, R = Effect.NARROWED, Effect.WIDENED, Effect.CHANGED, Effect.ADDED, Effect.REMOVED


@dataclass(frozen=True)
class Rule:
    names: dict[Effect, str]
    request: dict[Effect, Level]
    response: dict[Effect, Level]


def _bounds(narrowed: str, widened: str, changed: str = "") -> Rule:
    """The usual constraint: narrowing breaks requests, widening breaks responses."""
    names = {N: narrowed, W: widened} | ({C: changed} if changed else {})
    return Rule(names, {N: B, W: S, C: B}, {N: S, W: B, C: B})


SCHEMA_RULES: dict[str, Rule] = {
    "type": _bounds("type-narrowed", "type-widened", "type-changed"),
    "nullable": _bounds("became-not-nullable", "became-nullable"),
    "format": _bounds("format-narrowed", "format-widened", "format-changed"),
    "minimum": _bounds("minimum-increased", "minimum-decreased"),
    "maximum": _bounds("maximum-decreased", "maximum-increased"),
    "minLength": _bounds("min-length-increased", "min-length-decreased"),
    "maxLength": _bounds("max-length-decreased", "max-length-increased"),
    "minItems": _bounds("min-items-increased", "min-items-decreased"),
    "maxItems": _bounds("max-items-decreased", "max-items-increased"),
    "minProperties": _bounds("min-properties-increased", "min-properties-decreased"),
    "maxProperties": _bounds("max-properties-decreased", "max-properties-increased"),
    "uniqueItems": _bounds("unique-items-added", "unique-items-removed"),
    "pattern": _bounds("pattern-added", "pattern-removed", "pattern-changed"),
    "multipleOf": _bounds("multiple-of-narrowed", "multiple-of-widened", "multiple-of-changed"),
    "const": _bounds("const-added", "const-removed", "const-changed"),
    "required": _bounds("property-became-required", "property-became-optional"),
    "oneOf": _bounds("one-of-variant-removed", "one-of-variant-added"),
    "anyOf": _bounds("any-of-variant-removed", "any-of-variant-added"),
    # Clients are expected to tolerate unknown enum values less often than unknown fields:
    # a new response value is dangerous, not breaking (as graphql-core rates it).
    "enum": Rule({N: "enum-value-removed", W: "enum-value-added"}, {N: B, W: S}, {N: S, W: D}),
    "enum-restriction": Rule({N: "enum-added", W: "enum-removed"}, {N: B, W: S}, {N: S, W: D}),
    "property": Rule({R: "property-removed", A: "property-added"}, {R: D, A: S}, {R: B, A: S}),
    "closed-property": Rule(
        {R: "property-removed-from-closed-object"}, {R: B}, {}
    ),  # requests only
    "additionalProperties": Rule(
        {N: "additional-properties-narrowed", W: "additional-properties-widened"},
        {N: B, W: S},
        {N: S, W: D},
    ),
    # readOnly properties are not sent in requests; writeOnly ones are not returned.
    "readOnly": Rule({N: "became-read-only", W: "no-longer-read-only"}, {N: B, W: S}, {N: S, W: S}),
    "writeOnly": Rule(
        {N: "became-write-only", W: "no-longer-write-only"}, {N: S, W: S}, {N: B, W: S}
    ),
    "discriminator": Rule(
        {
            N: "discriminator-value-removed",
            W: "discriminator-value-added",
            C: "discriminator-changed",
        },
        {N: B, W: S, C: B},
        {N: S, W: D, C: B},
    ),
    # A default is the value the server assumes when a client leaves it out.
    "default": Rule({C: "default-changed"}, {C: D}, {C: S}),
    # AsyncAPI: a message an operation receives (request) or sends (response).
    "message": Rule({R: "message-removed", A: "message-added"}, {R: B, A: S}, {R: D, A: D}),
}

FIXED_RULES: dict[str, Level] = {
    "operation-removed": B,
    "operation-removed-before-sunset": B,
    "deprecated-operation-removed": D,
    "operation-removed-after-sunset": S,
    "operation-added": S,
    "operation-deprecated": S,
    "operation-reinstated": S,
    "sunset-brought-forward": D,
    "webhook-removed": B,
    "webhook-added": S,
    "operation-action-changed": B,
    "channel-address-changed": B,
    "request-parameter-removed": B,
    "request-header-removed": D,
    "request-cookie-removed": D,
    "request-parameter-added": S,
    "required-request-parameter-added": B,
    "request-parameter-became-required": B,
    "request-parameter-became-optional": S,
    "request-parameter-location-changed": B,
    "request-parameter-style-changed": B,
    "request-parameter-explode-changed": B,
    "request-parameter-deprecated": S,
    "request-body-became-required": B,
    "request-body-became-optional": S,
    "request-body-added": S,
    "request-body-removed": D,
    "request-media-type-removed": B,
    "request-media-type-added": S,
    "response-status-removed": B,
    "response-status-added": S,
    "response-media-type-removed": B,
    "response-media-type-added": S,
    "response-required-header-removed": B,
    "response-header-removed": D,
    "response-header-became-optional": B,
    "response-header-added": S,
    "security-requirement-added": B,
    "security-scope-added": B,
    "security-relaxed": S,
    "security-scheme-removed": B,
    "security-scheme-changed": B,
    "security-scope-removed": B,
    "message-scope-added": B,
}


def schema_finding(
    aspect: str, effect: Effect, direction: Direction, where: str, detail: str
) -> Finding:
    rule = SCHEMA_RULES[aspect]
    levels = rule.request if direction is Direction.REQUEST else rule.response
    return Finding(f"{direction.value}-{rule.names[effect]}", levels[effect], where, detail)


def fixed(rule: str, where: str, detail: str) -> Finding:
    return Finding(rule, FIXED_RULES[rule], where, detail)


def all_rule_ids() -> set[str]:
    """Every rule id a comparison can report (GraphQL's come from graphql-core)."""
    ids = set(FIXED_RULES)
    for rule in SCHEMA_RULES.values():
        for effect, name in rule.names.items():
            for direction, levels in (
                (Direction.REQUEST, rule.request),
                (Direction.RESPONSE, rule.response),
            ):
                if effect in levels:
                    ids.add(f"{direction.value}-{name}")
    return ids
