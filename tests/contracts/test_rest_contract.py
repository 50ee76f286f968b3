"""Schemathesis in-process (ASGI, no server): every operation of the flagship spec, every check,
plus the stateful phase walking the spec's links. `kk contract` runs the same with bigger budgets
against a live server."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

from contracts import rest
from kkapp.config import AppConfig
from kkapp.factory import build

APP = build(AppConfig("mock")).app
# The same per-operation expectations as `kk contract` (documented domain rules, each with its
# reason, in contracts/schemathesis.toml).
CONFIG = SchemathesisConfig.from_path(rest.CONFIG)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
# Mock mode accepts any caller (like Prism's default); authentication is fuzzed in sandbox mode.
EXCLUDED = [c for c in CHECKS.get_all() if c.__name__ in {"ignored_auth"}]
ALL_OTHERS = [c for c in CHECKS.get_all() if c not in EXCLUDED]


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=ALL_OTHERS)


class StatefulFlow(schema.as_state_machine()):  # type: ignore[misc]
    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        case.validate_response(response, checks=ALL_OTHERS, recorder=self.recorder)


def test_stateful_flows_follow_the_links() -> None:
    StatefulFlow.run(settings=settings(max_examples=5, stateful_step_count=4, deadline=None))
