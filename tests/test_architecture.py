"""DESIGN's dependency rules, checked on the import statements of every module."""

from __future__ import annotations

import ast

import pytest

from tests.engine import ROOT

PACKAGES = ("codegen", "generated", "server", "handlers", "mocks", "contracts")


def imports_of(package: str) -> dict[str, set[str]]:
    """module path -> top-level packages of ours it imports (at any depth, lazily or not)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names & set(PACKAGES)
    return found


FORBIDDEN = {
    "generated": {"codegen", "handlers", "mocks", "contracts"},
    "server": {"handlers", "mocks", "contracts", "generated"},
    "handlers": {"mocks", "codegen", "contracts"},
    "mocks": {"handlers", "codegen", "contracts", "generated"},
    "codegen": {"handlers", "mocks", "contracts", "generated"},
}


# The `kk` command line is the composition root: it may start the contract runner.
ALLOWED = {"server/cli.py": {"contracts"}}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_design_allows(package: str) -> None:
    bad = {
        m: sorted(names & FORBIDDEN[package] - ALLOWED.get(m, set()))
        for m, names in imports_of(package).items()
    }
    assert {m: n for m, n in bad.items() if n} == {}


def test_generated_code_imports_only_server_types_and_itself() -> None:
    for module, names in imports_of("generated").items():
        assert names <= {"server", "generated"}, module


def test_the_import_scan_sees_real_imports() -> None:
    # guards the test above against silently scanning nothing
    assert "server" in imports_of("codegen")["codegen/table.py"]
