"""The TypeScript SDK and the React hooks: built with tsc, type-checked with the reference's
snippets in them, and tested with vitest (jsdom for the hooks) against a live sandbox."""

from __future__ import annotations

import re

import pytest

from tests.sdks.conftest import Sandbox
from tests.sdks.node import TS_DIR, run, sandbox_env
from tests.sdks.snippets import as_printed, normalized, react_hooks, typescript_usage

SNIPPET = re.compile(r"// --- snippet ---\n(.*?)\n// --- end of snippet ---", re.DOTALL)


def snippet_in(test_file: str) -> str:
    found = SNIPPET.findall((TS_DIR / "tests" / test_file).read_text(encoding="utf-8"))
    assert len(found) == 1, f"{test_file}: one snippet between the markers"
    return str(found[0])


def test_the_typescript_tests_hold_the_reference_snippet_as_printed() -> None:
    assert normalized(as_printed(snippet_in("reference.test.ts"))) == normalized(typescript_usage())


def test_the_react_test_holds_the_reference_hooks_snippet_as_printed() -> None:
    assert normalized(as_printed(snippet_in("react.test.tsx"))) == normalized(react_hooks())


@pytest.mark.slow  # Node
def test_typescript_sdk_and_react_hooks_pass_against_the_sandbox(fresh_sandbox: Sandbox) -> None:
    output = run(["npm", "test", "--silent"], sandbox_env(fresh_sandbox))
    assert re.search(r"Tests\s+\d+ passed", output), output[-3000:]
    assert "failed" not in output.split("Test Files")[-1], output[-3000:]
