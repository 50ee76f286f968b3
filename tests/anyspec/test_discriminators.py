"""A `oneOf` with a `discriminator` is validated the way OpenAPI reads it: the discriminator
names the alternative, so a value that also fits another one is not refused
(tests/fixtures/discriminated; @readme/oas-examples' discriminators.yaml failed on it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kkcore.normalize import to_json_schema
from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "discriminated" / "openapi.yaml"
BRANCHES = [
    {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}},
    {"type": "object", "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}}},
]


async def test_a_body_that_fits_two_discriminated_alternatives_is_accepted(
    tmp_path: Path,
) -> None:
    async with mock_client(FIXTURE, tmp_path) as c:
        both = await c.patch("/pets", json={"pet_type": "Cat"})
        neither = await c.patch("/pets", json={"pet_type": 3})
    assert both.status_code == 200
    assert neither.status_code in (400, 422)


@given(st.text(max_size=8), st.integers())
def test_a_discriminated_one_of_accepts_what_fits_any_alternative(kind: str, n: int) -> None:
    schema = to_json_schema(
        {"oneOf": BRANCHES, "discriminator": {"propertyName": "kind"}}, openapi30=False
    )
    assert Draft202012Validator(schema).is_valid({"kind": kind, "n": n})
    assert not Draft202012Validator(schema).is_valid({"kind": n})


def test_a_one_of_without_a_discriminator_stays_exclusive() -> None:
    schema = to_json_schema({"oneOf": BRANCHES}, openapi30=False)
    assert not Draft202012Validator(schema).is_valid({"kind": "x"})
