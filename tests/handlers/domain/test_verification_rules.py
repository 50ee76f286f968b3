"""The verification process table (handlers.domain.verification_rules): who may move a
practitioner's verification where, checked for every state, target and set of roles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.errors import ResourceConflict
from handlers.domain.verification_rules import (
    MAY_MOVE,
    STATES,
    TRANSITIONS,
    check_move,
    roles_of,
)
from kkcore.errors import InsufficientPermissions

ROLES = st.frozensets(st.sampled_from(["practitioner", "admin"]))


@given(current=st.sampled_from(STATES), wanted=st.sampled_from(STATES), roles=ROLES)
def test_a_move_passes_exactly_when_the_process_and_a_role_allow_it(
    current: str, wanted: str, roles: frozenset[str]
) -> None:
    allowed = wanted in TRANSITIONS.get(current, ()) and any(
        wanted in MAY_MOVE[r].get(current, ()) for r in roles
    )
    try:
        check_move(current, wanted, roles, "/data/attributes/status")
    except (InsufficientPermissions, ResourceConflict):
        assert not allowed
    else:
        assert allowed


@pytest.mark.parametrize("decision", ["verified", "rejected"])
@pytest.mark.parametrize("roles", [frozenset(), frozenset({"practitioner"})])
def test_nobody_but_an_admin_decides(decision: str, roles: frozenset[str]) -> None:
    with pytest.raises(InsufficientPermissions):
        check_move("pending", decision, roles, "/data/attributes/status")
    check_move("pending", decision, frozenset({"admin"}), "/data/attributes/status")


def test_a_patient_has_no_role_on_a_practitioner_and_its_account_has_the_practitioners() -> None:
    assert roles_of("prac_1", "user_p1", {"test_user_123"}, admin=False) == frozenset()
    assert roles_of("prac_1", "user_p1", {"user_p1"}, admin=False) == {"practitioner"}
    assert roles_of("prac_1", None, {"user_x"}, admin=True) == {"admin"}
