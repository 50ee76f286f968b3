"""Spectral (the `spectral:oas` ruleset plus .spectral.yaml) finds nothing in spec/openapi.yaml.

The CLI is pinned in tools/spectral/package.json; `make spectral` installs it (`npm ci`). A
missing install fails these tests instead of skipping them, so CI cannot pass without linting.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "tools" / "spectral" / "node_modules" / ".bin" / "spectral"
RULESET = ROOT / ".spectral.yaml"
SPEC = ROOT / "spec" / "openapi.yaml"
SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}


def lint(document: Path, ruleset: Path = RULESET) -> list[dict[str, Any]]:
    """Spectral's findings for `document`, as its JSON output."""
    if not SPECTRAL.is_file():
        pytest.fail(f"Spectral is not installed at {SPECTRAL}: run `make spectral`")
    result = subprocess.run(
        [str(SPECTRAL), "lint", str(document), "--ruleset", str(ruleset), "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    except json.JSONDecodeError as e:
        raise AssertionError(f"spectral failed ({result.returncode}): {result.stderr}") from e
    if result.returncode not in (0, 1) or (result.returncode == 1 and not findings):
        raise AssertionError(f"spectral failed ({result.returncode}): {result.stderr}")
    return findings


def describe(finding: dict[str, Any]) -> str:
    line = finding["range"]["start"]["line"] + 1
    path = ".".join(map(str, finding["path"]))
    severity = SEVERITY[finding["severity"]]
    return f"{severity} {finding['code']} line {line} {path}: {finding['message']}"


@pytest.mark.slow  # Node
def test_spectral_reports_no_errors_and_no_warnings_for_the_openapi_document() -> None:
    findings = [f for f in lint(SPEC) if f["severity"] <= 1]
    assert not findings, f"{len(findings)} Spectral findings:\n  " + "\n  ".join(
        map(describe, findings)
    )


@pytest.mark.slow  # Node
def test_spectral_lint_catches_an_example_that_breaks_its_schema(tmp_path: Path) -> None:
    broken = tmp_path / "openapi.yaml"
    text = SPEC.read_text(encoding="utf-8")
    assert "rating: 4.8" in text
    broken.write_text(text.replace("rating: 4.8", "rating: 7", 1), encoding="utf-8")
    codes = {f["code"] for f in lint(broken) if f["severity"] == 0}
    assert "oas3-valid-media-example" in codes


def test_every_rule_the_ruleset_disables_is_justified_by_a_comment() -> None:
    lines = RULESET.read_text(encoding="utf-8").splitlines()
    unjustified = []
    for i, line in enumerate(lines):
        m = re.match(r"^\s+([\w$-]+):\s*off\s*$", line)
        if m and not (i > 0 and lines[i - 1].lstrip().startswith("#")):
            unjustified.append(m.group(1))
    assert not unjustified, f"rules disabled without a comment above them: {unjustified}"
