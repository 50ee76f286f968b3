"""Which token claims name more ids a caller acts as is the spec's `x-acts-as`, not a claim
name inside the engine: the flagship names `practitioner_id`; another spec names its own or
none."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generated.api_table import TABLE
from kkcore.errors import SpecError
from kkcore.table import build_table
from server.identity import Identity, callers

DOC: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}


def test_the_flagship_acts_as_its_practitioner_id() -> None:
    assert TABLE.get("acts_as") == ["practitioner_id"]


def test_a_spec_without_the_extension_acts_as_the_subject_alone() -> None:
    assert "acts_as" not in build_table(DOC)
    identity = Identity("user_1", frozenset(), claims={"practitioner_id": "prac_1"})
    assert callers(identity, build_table(DOC).get("acts_as") or ()) == {"user_1"}


@pytest.mark.parametrize("bad", ["practitioner_id", [1], {"a": "b"}])
def test_a_malformed_extension_is_a_spec_error(bad: Any) -> None:
    with pytest.raises(SpecError, match="x-acts-as"):
        build_table(DOC | {"x-acts-as": bad})


@given(
    claims=st.dictionaries(
        st.sampled_from(["team_id", "practitioner_id", "org"]),
        st.one_of(st.text(min_size=1, max_size=8), st.integers(), st.none()),
    ),
    named=st.lists(st.sampled_from(["team_id", "practitioner_id", "org"]), unique=True),
)
def test_a_caller_acts_as_its_subject_and_each_named_string_claim(
    claims: dict[str, Any], named: list[str]
) -> None:
    found = callers(
        Identity("user_1", frozenset(), claims=claims),
        build_table(DOC | {"x-acts-as": named}).get("acts_as") or (),
    )
    expected = {"user_1"} | {v for k, v in claims.items() if k in named and isinstance(v, str)}
    assert found == expected
