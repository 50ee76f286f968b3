"""Schemathesis in-process (ASGI, no server): every operation of the flagship spec, every check,
plus the stateful phase walking the spec's links. `kk contract` runs the same with bigger budgets
against a live server.

One test per operation, parametrized by the spec file's "METHOD /path" and built when it runs:
the coverage cases of an operation cost about a second to build, and `schema.parametrize()`
builds all 43 at collection, which every pytest-xdist worker paid before running anything.
(Schemathesis' own lazy `from_fixture` would do this, but sets a node attribute pytest 9 no
longer has; `build_operation_test` is what both of its ways use to build an operation's test.)"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source

from tests.contracts.coverage_cache import kept_coverage
from tests.contracts.flagship import mock_schema, operation_labels

# Mock mode accepts any caller (like Prism's default); authentication is fuzzed in sandbox mode.
EXCLUDED = [c for c in CHECKS.get_all() if c.__name__ in {"ignored_auth"}]
ALL_OTHERS = [c for c in CHECKS.get_all() if c not in EXCLUDED]
LABELS = operation_labels()


SETTINGS = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))


def keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=ALL_OTHERS)


@pytest.mark.parametrize("label", LABELS)
def test_every_operation_keeps_its_contract(label: str, pytestconfig: pytest.Config) -> None:
    method, path = label.split(" ", 1)
    schema = mock_schema()  # the served one, with contracts/schemathesis.toml
    load_all_checks()
    assert pytestconfig.cache is not None
    with kept_coverage(pytestconfig.cache.mkdir("kk-coverage-cases")):  # `make check` only
        test = build_operation_test(
            config=schema.config,
            operation=schema[path][method],
            test_func=keeps_its_contract,
            explicit_settings=SETTINGS,
            given_kwargs={},
            feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
        )
    test()


def test_the_tests_cover_every_served_operation_once() -> None:
    served = [result.ok().label for result in mock_schema().get_all_operations()]
    assert sorted(LABELS) == sorted(served)
    assert len(set(LABELS)) == len(LABELS)


def test_stateful_flows_follow_the_links() -> None:
    class StatefulFlow(mock_schema().as_state_machine()):  # type: ignore[misc]
        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=ALL_OTHERS, recorder=self.recorder)

    StatefulFlow.run(settings=settings(max_examples=5, stateful_step_count=4, deadline=None))
