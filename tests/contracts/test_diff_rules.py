"""Every rule of `kk diff`, caught in its breaking direction and allowed in the safe one.

The cases are data (tests/contracts/diff_cases/): an old and a new document each, the rule
expected going old -> new and the rule expected going back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.diff import Finding, Level, asyncapi, graphql, openapi
from contracts.diff.rules import all_rule_ids
from tests.contracts.diff_cases import ALL_CASES, TODAY, Case
from tests.contracts.diff_cases.docs import body

DAY = date.fromisoformat(TODAY)


def compare(case: Case, old: Any, new: Any) -> list[Finding]:
    if case.kind == "openapi":
        return openapi.compare(old, new, DAY)
    if case.kind == "asyncapi":
        return asyncapi.compare(old, new)
    return graphql.compare(old, new)


def name(case: Case) -> str:
    return f"{case.kind}-{case.rule}-{ALL_CASES.index(case)}"


def levels_of(rule: str, found: list[Finding]) -> set[Level]:
    return {f.level for f in found if f.rule == rule}


@pytest.mark.parametrize("case", ALL_CASES, ids=name)
def test_the_rule_is_reported_going_from_old_to_new(case: Case) -> None:
    found = compare(case, case.old, case.new)
    assert levels_of(case.rule, found) == {case.level}, found
    if case.level is not Level.BREAKING:
        assert not [f for f in found if f.level is Level.BREAKING], found


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.back], ids=name)
def test_going_back_reports_the_opposite_rule_and_breaks_nothing_when_safe(case: Case) -> None:
    assert case.back is not None
    found = compare(case, case.new, case.old)
    assert levels_of(case.back, found) == {case.back_level}, found
    if case.back_level is not Level.BREAKING:
        assert not [f for f in found if f.level is Level.BREAKING], found


def test_every_rule_in_the_rule_table_has_a_case() -> None:
    covered = {c.rule for c in ALL_CASES} | {c.back for c in ALL_CASES if c.back}
    assert sorted(all_rule_ids() - covered) == []


def test_a_30_nullable_and_a_31_type_array_mean_the_same() -> None:
    old = body(
        {"type": "string", "nullable": True, "minimum": 0, "exclusiveMinimum": True}, "3.0.3"
    )
    new = body({"type": ["string", "null"], "exclusiveMinimum": 0})
    assert openapi.compare(old, new, DAY) == []


def test_a_cycle_of_refs_ends_and_a_change_inside_mutual_recursion_is_found() -> None:
    loop = {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
    doc = body({"$ref": "#/components/schemas/A"}) | {"components": {"schemas": loop}}
    assert openapi.compare(doc, doc, DAY) == []

    def mutual(limit: int) -> dict[str, Any]:
        schemas = {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {
                "type": "object",
                "properties": {
                    "a": {"$ref": "#/components/schemas/A"},
                    "s": {"type": "string", "maxLength": limit},
                },
            },
        }
        return body({"$ref": "#/components/schemas/A"}) | {"components": {"schemas": schemas}}

    found = openapi.compare(mutual(9), mutual(3), DAY)
    assert [(f.rule, f.where) for f in found] == [
        ("request-max-length-decreased", "POST /items request body application/json /b/s")
    ]


def test_a_constraint_beside_a_shared_ref_is_compared_at_every_use() -> None:
    """3.1 siblings of a `$ref` refine it per use: the pair of refs alone decides nothing (the
    spec's `notes` is a `Text` with its own maxLength, beside other `Text` fields)."""
    text = {"type": "string", "pattern": "^[^\\x00]*$"}

    def doc(notes_max: int) -> dict[str, Any]:
        fields = {
            "title": {"$ref": "#/components/schemas/Text", "maxLength": 100},
            "notes": {"$ref": "#/components/schemas/Text", "maxLength": notes_max},
        }
        schema = {"type": "object", "properties": fields}
        return body(schema) | {"components": {"schemas": {"Text": text}}}

    found = openapi.compare(doc(2000), doc(500), DAY)
    assert [f.rule for f in found] == ["request-max-length-decreased"], found
    assert "notes" in found[0].where
