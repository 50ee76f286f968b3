"""contracts/schemathesis.toml is what schemathesis applies: every check stays on, and the
per-operation settings win (a check named on the command line would override them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis

from contracts import rest
from contracts.budgets import BUDGETS
from tests.contracts.flagship import mock_schema


def checks_for(op_id: str) -> Any:
    schema = mock_schema()  # the served spec with contracts/schemathesis.toml
    operation = schema.find_operation_by_id(op_id)
    return schema.config.checks_config_for(operation=operation)


def test_multipart_upload_skips_only_the_wrong_type_check() -> None:
    checks = checks_for("uploadConversationFile")
    assert checks.negative_data_rejection.enabled is False
    assert checks.positive_data_acceptance.enabled is True
    assert checks.response_schema_conformance.enabled is True


@pytest.mark.parametrize("op_id", ["createBooking", "sendMessage", "getUser", "createWebhook"])
def test_other_operations_keep_every_check(op_id: str) -> None:
    checks = checks_for(op_id)
    assert checks.negative_data_rejection.enabled is True
    assert checks.use_after_free.enabled is True
    assert checks.ensure_resource_availability.enabled is True


def test_domain_rules_widen_only_their_own_statuses() -> None:
    def statuses(op_id: str) -> list[str]:
        return [str(s) for s in checks_for(op_id).positive_data_acceptance.expected_statuses]

    assert "422" in statuses("updateBooking")
    assert "422" not in statuses("getUser")


def test_the_command_line_names_no_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[list[str]] = []

    class Done:
        returncode = 0

    def fake_run(args: list[str], **_: Any) -> Done:
        seen.append(args)
        return Done()

    monkeypatch.setattr(rest.subprocess, "run", fake_run)
    rest.run_schemathesis(
        "rest", "http://x/openapi.json", tmp_path, BUDGETS["quick"], 0, {}, mode="mock"
    )
    assert "--checks" not in seen[0]
    assert seen[0][seen[0].index("--exclude-checks") + 1] == "ignored_auth"


def test_the_health_profile_update_can_be_negated_by_the_fuzzer() -> None:
    # schemathesis could not negate a `$ref` to Text with sibling bounds inside array items
    # ("Cannot generate an array with 1 demanded elements"): the fuzzing phase of the contract
    # run errored on this operation instead of testing it (spec: ProfileEntry)
    from hypothesis import HealthCheck, given, seed, settings
    from schemathesis.generation import GenerationMode

    spec = schemathesis.openapi.from_path(SPEC_FILE)
    operation = spec["/users/{user_id}/health_profile"]["PUT"]
    drawn: list[Any] = []

    @seed(0)
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=[*HealthCheck])
    @given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def draw(case: Any) -> None:
        drawn.append(case)

    draw()
    assert drawn


SPEC_FILE = "spec/openapi.yaml"
