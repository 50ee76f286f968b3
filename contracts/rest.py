"""REST and GraphQL fuzzing with the schemathesis CLI against a running API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.budgets import EXCLUDED_CHECKS, Budget

CONFIG = Path(__file__).with_name("schemathesis.toml")
GRAPHQL_CONFIG = Path(__file__).with_name("schemathesis-graphql.toml")
# Inputs seeded with the spec's examples, so cases reach past the lookups (contracts/hooks.py).
HOOKS_ENV, HOOKS_MODULE = "SCHEMATHESIS_HOOKS", "contracts.hooks"


def schemathesis_bin() -> str:
    candidate = Path(sys.executable).with_name("schemathesis")
    return str(candidate) if candidate.exists() else "schemathesis"


@dataclass
class SuiteResult:
    """One schemathesis run: what was covered and what failed."""

    name: str
    exit_code: int
    log: Path
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> list[str]:
        ops = self.report.get("operations") or {}
        cases = self.report.get("test_cases") or {}
        phases = self.report.get("phases") or {}
        lines = [
            f"{self.name}: {'passed' if self.passed else 'FAILED'} — operations tested "
            f"{ops.get('tested', '?')}/{ops.get('total', '?')}, "
            f"cases {cases.get('generated', '?')}, "
            + ", ".join(f"{p} {v.get('status')}" for p, v in phases.items())
        ]
        for failure in self.report.get("failures") or []:
            where = ", ".join(failure.get("operations") or [])
            lines.append(
                f"  {failure.get('code')} {failure.get('title')} ×{failure.get('count')}: {where}"
            )
        if not self.passed and not self.report:
            lines.append(f"  schemathesis exited {self.exit_code}; see {self.log}")
        return lines


def run_schemathesis(
    name: str,
    location: str,
    out_dir: Path,
    budget: Budget,
    seed: int,
    headers: dict[str, str],
    graphql: bool = False,
    mode: str = "url",
) -> SuiteResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / f"{name}.json"
    log = out_dir / f"{name}.log"
    args = [
        schemathesis_bin(),
        "--config-file",
        str(GRAPHQL_CONFIG if graphql else CONFIG),
        "run",
        location,
        "--max-examples",
        str(budget.max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--report",
        "junit,json",
        "--report-junit-path",
        str(out_dir / f"{name}.xml"),
        "--report-json-path",
        str(report),
        "--output-truncate",
        "true",
    ]
    if not graphql:
        # No `--checks`: every check is on by default, and a check named on the command line
        # would override the per-operation settings of schemathesis.toml.
        args += ["--phases", budget.phases]
        excluded = EXCLUDED_CHECKS.get(mode, {})
        if excluded:
            args += ["--exclude-checks", ",".join(excluded)]
    for key, value in headers.items():
        args += ["--header", f"{key}: {value}"]
    env = {**os.environ, **({} if graphql else {HOOKS_ENV: HOOKS_MODULE})}
    with log.open("w", encoding="utf-8") as stream:
        done = subprocess.run(args, stdout=stream, stderr=subprocess.STDOUT, check=False, env=env)
    data: dict[str, Any] = {}
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
    return SuiteResult(name, done.returncode, log, data)
