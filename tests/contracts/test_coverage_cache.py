"""The kept coverage cases (tests/contracts/coverage_cache.py) are the cases Schemathesis built,
in its order, and are kept only under the `check` profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import pytest
from schemathesis.core import NOT_SET
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source

from tests.contracts import coverage_cache
from tests.contracts.flagship import mock_schema
from tests.contracts.test_rest_contract import SETTINGS, keeps_its_contract


def built(folder: Path) -> list[str]:
    schema = mock_schema()
    operation = schema["/users/{user_id}"]["GET"]
    with coverage_cache.kept_coverage(folder):
        test = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=keeps_its_contract,
            explicit_settings=SETTINGS,
            given_kwargs={},
            feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
        )
    return [described(e.kwargs["case"], operation) for e in test.hypothesis_explicit_examples]


def described(case: Any, operation: Any) -> str:
    parts = ("method", "path_parameters", "headers", "cookies", "query", "body", "media_type")
    values = [getattr(case, p) for p in parts]
    no_body = case.body is NOT_SET  # (compared by identity)
    return repr([*values, no_body, case.meta.phase, case.operation is operation])


def test_kept_cases_come_back_as_built_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        coverage_cache, "PROFILE_THAT_KEEPS", hypothesis.settings.get_current_profile_name()
    )
    first = built(tmp_path)
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    assert first and built(tmp_path) == first


def test_outside_the_check_profile_cases_are_drawn_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coverage_cache, "PROFILE_THAT_KEEPS", "no such profile")
    assert built(tmp_path)
    assert list(tmp_path.iterdir()) == []
